// kb: "Помогла ли статья?" under an article. "Да" is sent at once; "Нет" opens an optional
// comment and is sent with it — or without it when the reader leaves the page first. The reader
// is thanked either way: a vote that could not be delivered is not the reader's problem.
(function () {
  "use strict";

  function init(widget) {
    var articleId = widget.getAttribute("data-kb-feedback");
    var ask = widget.querySelector(".kb-feedback__ask");
    var form = widget.querySelector(".kb-feedback__form");
    var comment = widget.querySelector(".kb-feedback__comment");
    var thanks = widget.querySelector(".kb-feedback__thanks");
    var pending = false;  // "Нет" chosen, comment not sent yet

    function send(helpful, text) {
      pending = false;
      window.kbSearch.feedback(articleId, helpful, (text || "").trim());
    }

    function thank(message) {
      ask.hidden = true;
      form.hidden = true;
      thanks.textContent = message;
      thanks.focus();  // the buttons are gone: keep the keyboard user's place
    }

    widget.querySelectorAll(".kb-feedback__vote").forEach(function (button) {
      button.addEventListener("click", function () {
        widget.querySelectorAll(".kb-feedback__vote").forEach(function (b) {
          b.setAttribute("aria-pressed", String(b === button));
        });
        if (button.getAttribute("data-helpful") === "yes") {
          send(true);
          thank("Спасибо за оценку! Рады, что статья помогла.");
        } else {
          pending = true;
          form.hidden = false;
          comment.focus();
        }
      });
    });

    form.addEventListener("submit", function (e) {
      e.preventDefault();
      send(false, comment.value);
      thank("Спасибо! Ваш отзыв поможет сделать статью лучше.");
    });

    // Leaving after "Нет" without sending: the vote still counts (keepalive delivers it).
    window.addEventListener("pagehide", function () { if (pending) send(false, comment.value); });
    widget.hidden = false;
  }

  function start() {
    if (!window.kbSearch) return;
    document.querySelectorAll("[data-kb-feedback]").forEach(init);
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
