// kb: click-to-play video facades. Nothing is requested from a video host before a click.
(function () {
  "use strict";

  function clock(seconds) {
    var s = Math.floor(seconds % 60), m = Math.floor(seconds / 60) % 60, h = Math.floor(seconds / 3600);
    var mm = h ? String(m).padStart(2, "0") : String(m);
    return (h ? h + ":" : "") + mm + ":" + String(s).padStart(2, "0");
  }

  function play(figure, start) {
    if (start === undefined) start = parseInt(figure.dataset.start || "0", 10) || 0;
    var src = figure.dataset.embed.replace("{start}", String(start));
    var player;
    if (figure.dataset.kind === "file") {
      player = document.createElement("video");
      player.controls = true;
      player.autoplay = true;
      player.setAttribute("playsinline", "");
      player.src = src;
    } else {
      player = document.createElement("iframe");
      player.src = src;
      player.title = figure.dataset.title || "Видео";
      player.allow = "autoplay; encrypted-media; fullscreen; picture-in-picture";
      player.allowFullscreen = true;
      player.referrerPolicy = "strict-origin-when-cross-origin";
    }
    player.className = "kb-video__player";
    player.tabIndex = 0;
    figure.querySelector(".kb-video__frame").replaceChildren(player);
    figure.classList.add("kb-video--playing");
    player.focus();
  }

  document.addEventListener("click", function (event) {
    var target = event.target instanceof Element ? event.target : null;
    if (!target) return;
    var button = target.closest(".kb-video__play");
    if (button) {
      play(button.closest("[data-kb-video]"));
      return;
    }
    var seek = target.closest("[data-kb-seek]");
    if (seek) {
      var figure = seek.closest("[data-kb-video]");
      play(figure, parseInt(seek.getAttribute("data-kb-seek"), 10) || 0);
      figure.scrollIntoView({ block: "nearest", behavior: "smooth" });
    }
  });

  // "#video-2-t90" (a search hit inside a transcript): scroll to the video and make play start
  // at 1:30. It does not start by itself: the reader still decides to load the player.
  function fromHash() {
    var match = /^#(video-\d+)-t(\d+)$/.exec(location.hash);
    if (!match) return;
    var figure = document.getElementById(match[1]);
    if (!figure || !figure.hasAttribute("data-kb-video")) return;
    figure.dataset.start = match[2];
    if (figure.classList.contains("kb-video--playing")) {  // the reader already chose to play it
      play(figure, parseInt(match[2], 10));
      figure.scrollIntoView({ block: "center" });
      return;
    }
    var button = figure.querySelector(".kb-video__play");
    if (button) {
      var badge = figure.querySelector(".kb-video__from") || document.createElement("span");
      badge.className = "kb-video__from";
      badge.textContent = "С " + clock(parseInt(match[2], 10));
      button.appendChild(badge);
      button.setAttribute("aria-label", (figure.dataset.title || "Видео") + ": смотреть с " + badge.textContent.slice(2));
    }
    figure.scrollIntoView({ block: "center" });
  }
  window.addEventListener("hashchange", fromHash);
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", fromHash);
  else fromHash();
})();
