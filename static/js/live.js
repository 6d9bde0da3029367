// Live pages (htmx polls swap their regions out of band), for a keyboard and a screen reader:
// - one persistent polite live region (#live-announcer) announces the status when it changes
//   (the polled region with a data-announce attribute carries the sentence);
// - a poll never replaces an action form a person has open or has typed in: the fresh actions
//   are held back and swapped in once the form is closed and empty again;
// - one action form is open at a time, and Escape closes it and gives focus back to its toggle.
// Focus elsewhere survives a swap by itself: the focusable elements of swapped regions have
// stable ids, and htmx gives focus back to the element with the same id.
(function () {
  "use strict";
  var held = null; // the fresh #actions region, held back while a form in it is in use

  function statusSentence() {
    var status = document.querySelector("[data-announce]");
    return status ? status.getAttribute("data-announce") : "";
  }
  var announced = statusSentence();

  function typedIn(region) {
    return Array.prototype.some.call(
      region.querySelectorAll("textarea, input[type=text]"),
      function (field) { return field.value !== field.defaultValue; }
    );
  }

  function inUse(region) {
    return Boolean(region.querySelector("details.action[open]")) || typedIn(region);
  }

  function releaseHeld() {
    var actions = document.getElementById("actions");
    if (held === null || !actions || inUse(actions)) return;
    var fresh = held;
    held = null;
    window.htmx.swap(actions, fresh, { swapStyle: "outerHTML" });
  }

  document.addEventListener("htmx:oobBeforeSwap", function (event) {
    var target = event.detail.target;
    if (target && target.id === "actions" && inUse(target)) {
      event.detail.shouldSwap = false;
      held = event.detail.fragment.firstElementChild.outerHTML;
    }
  });

  document.addEventListener("htmx:afterSwap", function () {
    var sentence = statusSentence();
    var announcer = document.getElementById("live-announcer");
    if (announcer && sentence && sentence !== announced) {
      announced = sentence;
      announcer.textContent = sentence;
    }
  });

  // A reason typed and then erased frees the held actions too.
  document.addEventListener("input", function (event) {
    if (held !== null && event.target.closest("#actions")) releaseHeld();
  });

  // Opening a form closes the others, on the click (Enter and Space click a summary too):
  // `toggle` events come later, queued, and could close the one opened last.
  document.addEventListener("click", function (event) {
    var summary = event.target.closest && event.target.closest("details.action > summary");
    if (!summary || summary.parentElement.open) return;
    var details = summary.parentElement;
    document.querySelectorAll("details.action[open]").forEach(function (other) {
      if (other !== details) other.open = false;
    });
  });

  // `toggle` does not bubble: listen in the capture phase.
  document.addEventListener("toggle", function (event) {
    var details = event.target;
    if (!details.matches || !details.matches("details.action")) return;
    if (details.open) {
      // On a phone the form opens in the flow, below its toggle: bring it into view.
      if (window.matchMedia("(max-width: 640px)").matches) {
        details.scrollIntoView({ block: "nearest" });
      }
    } else {
      releaseHeld();
    }
  }, true);

  document.addEventListener("keydown", function (event) {
    if (event.key !== "Escape") return;
    var details = document.activeElement && document.activeElement.closest("details.action[open]");
    details = details || document.querySelector("details.action[open]");
    if (!details) return;
    event.preventDefault();
    details.open = false;
    details.querySelector("summary").focus();
  });
})();
