// The tab a link points at: Material's partials/javascripts/content.html (last script), run from a file so that the Content-Security-Policy can forbid
// every inline script. tests/test_site_theme_csp.py keeps it equal to Material's own.
var target=document.getElementById(location.hash.slice(1));target&&target.name&&(target.checked=target.name.startsWith("__tabbed_"))
