// The plan's stage editor: add, remove and reorder stages of a Django formset.
// Without this script the formset still works: a Position field orders, a Delete box removes.
(function () {
  "use strict";
  var editor = document.querySelector("[data-stage-editor]");
  if (!editor) return;
  document.documentElement.classList.add("js");
  var list = editor.querySelector("[data-stage-list]");
  var total = editor.querySelector('input[name$="-TOTAL_FORMS"]');
  var template = document.getElementById("stage-template");
  var addButton = editor.querySelector("[data-add-stage]");

  function field(stage, name) {
    return stage.querySelector('[name$="-' + name + '"]');
  }

  function liveStages() {
    return Array.prototype.filter.call(list.querySelectorAll("[data-stage]"), function (s) {
      return !s.classList.contains("removed");
    });
  }

  function renumber() {
    var stages = liveStages();
    stages.forEach(function (stage, i) {
      field(stage, "ORDER").value = i + 1;
      stage.querySelector("[data-stage-number]").textContent = i + 1;
      stage.querySelector('[data-move="up"]').disabled = i === 0;
      stage.querySelector('[data-move="down"]').disabled = i === stages.length - 1;
      stage.querySelector("[data-remove]").disabled = stages.length === 1;
    });
  }

  function syncTarget(stage) {
    var target = field(stage, "target").value;
    stage.querySelector('[data-field="tag"]').hidden = target !== "tag";
    stage.querySelector('[data-field="groups"]').hidden = target !== "groups";
  }

  function wire(stage) {
    stage.querySelector("[data-stage-tools]").hidden = false;
    field(stage, "target").addEventListener("change", function () { syncTarget(stage); });
    syncTarget(stage);
  }

  editor.addEventListener("click", function (event) {
    var button = event.target.closest("button");
    if (!button || !editor.contains(button)) return;
    var stage = button.closest("[data-stage]");
    if (button.hasAttribute("data-remove")) {
      field(stage, "DELETE").checked = true;
      stage.classList.add("removed");
      renumber();
      (liveStages()[0] || addButton).querySelector("input, select, button").focus();
    } else if (button.dataset.move === "up" || button.dataset.move === "down") {
      var stages = liveStages();
      var i = stages.indexOf(stage);
      if (button.dataset.move === "up" && i > 0) list.insertBefore(stage, stages[i - 1]);
      if (button.dataset.move === "down" && i < stages.length - 1) list.insertBefore(stages[i + 1], stage);
      renumber();
      if (!button.disabled) button.focus();
      else stage.querySelector('[data-move="' + (button.dataset.move === "up" ? "down" : "up") + '"]').focus();
    } else if (button.hasAttribute("data-add-stage")) {
      var index = parseInt(total.value, 10);
      var html = template.innerHTML.replace(/__prefix__/g, String(index));
      var holder = document.createElement("div");
      holder.innerHTML = html;
      var stage = holder.firstElementChild;
      list.appendChild(stage);
      total.value = index + 1;
      wire(stage);
      renumber();
      field(stage, "name").focus();
    }
  });

  Array.prototype.forEach.call(list.querySelectorAll("[data-stage]"), function (stage) {
    if (field(stage, "DELETE").checked) stage.classList.add("removed");
    wire(stage);
  });
  addButton.hidden = false;
  renumber();
})();
