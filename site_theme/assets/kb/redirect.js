// kb: redirect stubs (short links /a/<id>/ and old URLs). Keeps ?query and #anchor, which a
// meta refresh alone would drop.
(function () {
  "use strict";
  var meta = document.querySelector('meta[name="kb-redirect"]');
  if (meta) location.replace(new URL(meta.content, location.href).pathname + location.search + location.hash);
})();
