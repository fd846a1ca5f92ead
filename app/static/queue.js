// Keyboard shortcuts for the review queue and the proof page. Plain JS, no framework.
// Every action clicks a real button or link, so the server-side forms (CSRF, validation) stay the
// only way anything changes; this file only saves mouse travel.
(function () {
  "use strict";

  var help = document.getElementById("kbd-help");
  // Rows the keyboard walks: queue lists (each row opens a proof) and tables marked data-rows (the
  // cluster table, whose rows carry a tick box for bulk actions).
  var rows = Array.prototype.slice.call(document.querySelectorAll("tr[data-href], table[data-rows] tbody tr"));
  var selected = -1;
  var submitting = false;

  function byId(id) { return document.getElementById(id); }

  function typingIn(el) {
    return el && (el.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(el.tagName));
  }

  // Enter on a focused link or button is that control's own. Closing the help can leave focus
  // on its (now hidden) Close button, and that must not swallow Enter on the selected row.
  function onControl(el) {
    if (!el || !el.closest || !el.closest("a, button")) { return false; }
    return !(help && !help.open && help.contains(el));
  }

  function press(id) {
    var el = byId(id);
    if (!el || el.disabled) { return false; }
    if (el.type === "submit") {
      if (submitting) { return true; }
      submitting = true;  // one decision per page: a held-down key must not post twice
    }
    el.click();
    return true;
  }

  function select(index) {
    if (!rows.length) { return; }
    index = Math.max(0, Math.min(rows.length - 1, index));
    if (selected >= 0) {
      rows[selected].classList.remove("selected");
      rows[selected].removeAttribute("aria-selected");
    }
    selected = index;
    rows[index].classList.add("selected");
    rows[index].setAttribute("aria-selected", "true");
    rows[index].scrollIntoView({ block: "nearest" });
  }

  function rowHref(row) {
    if (row.dataset.href) { return row.dataset.href; }
    var link = row.querySelector("a[href]");
    return link ? link.getAttribute("href") : null;
  }

  // x ticks (or unticks) the selected row's box; a ticked box switches the bulk form to "ticked proofs".
  function tick() {
    var box = selected >= 0 && rows[selected].querySelector("input.tick");
    if (!box) { return; }
    box.checked = !box.checked;
    rows[selected].classList.toggle("ticked", box.checked);
    box.dispatchEvent(new Event("change", { bubbles: true }));
  }

  function toggleHelp() {
    if (!help) { return; }
    if (help.open) { help.close(); } else { help.showModal(); }
  }

  function pickReason(select, digit) {
    // Option 0 is the "Reason" placeholder, so digit N is option N.
    if (digit < select.options.length) {
      select.selectedIndex = digit;
      select.dispatchEvent(new Event("change", { bubbles: true }));
    }
  }

  function onReasonKey(ev) {
    if (/^[1-9]$/.test(ev.key)) {
      ev.preventDefault();
      pickReason(ev.target, Number(ev.key));
      return true;
    }
    if (ev.key === "Enter") {
      ev.preventDefault();
      press(ev.target.id === "bulk-reason" ? "bulk-preview" : "reject");
      return true;
    }
    return false;
  }

  var actions = {
    "j": function () { select(selected + 1); },
    "k": function () { select(selected - 1); },
    "x": function () { tick(); },
    "i": function () { var el = byId("info-question"); if (el) { el.focus(); } },
    "Enter": function () {
      var href = selected >= 0 && rowHref(rows[selected]);
      if (href) { window.location.assign(href); } else { press("confirm"); }
    },
    "n": function () { press("claim-next"); },
    "a": function () { press("approve"); },
    "r": function () { var el = byId("reason_code") || byId("bulk-reason") || byId("note"); if (el) { el.focus(); } },
    "e": function () { press("escalate"); },
    "s": function () { press("skip"); },
    "u": function () { press("back-to-queue") || press("back-to-proof") || press("back-to-cluster"); },
    "c": function () { press("open-cluster"); },
    "w": function () { press("open-worker"); },
    "p": function () { press("bulk-preview"); },
    "m": function () { var el = byId("relief-signal"); if (el) { el.scrollIntoView({ block: "center" }); el.focus(); } },
    "/": function () { var el = byId("note"); if (el) { el.focus(); } },
    "?": toggleHelp
  };

  document.addEventListener("keydown", function (ev) {
    if (ev.ctrlKey || ev.metaKey || ev.altKey || ev.isComposing) { return; }
    var target = ev.target;
    if (ev.key === "Escape") {
      if (typingIn(target)) { target.blur(); }
      return;
    }
    if (target && (target.id === "reason_code" || target.id === "bulk-reason") && onReasonKey(ev)) { return; }
    if (ev.key === "Enter" && onControl(target)) { return; }
    if (typingIn(target) || (help && help.open && ev.key !== "?")) { return; }
    var action = actions[ev.key];
    if (action) {
      ev.preventDefault();
      action();
    }
  }, true);

  document.querySelectorAll("[data-help]").forEach(function (button) {
    button.addEventListener("click", toggleHelp);
  });

  rows.forEach(function (row, index) {
    row.addEventListener("click", function (ev) {
      if (ev.target.closest("a, button, input, select")) { return; }
      select(index);
      if (row.dataset.href) { window.location.assign(row.dataset.href); }
    });
  });

  document.querySelectorAll("form").forEach(function (form) {
    form.addEventListener("submit", function () { submitting = true; });
  });

  var tickAll = byId("tick-all");
  if (tickAll) {
    tickAll.addEventListener("change", function () {
      document.querySelectorAll("input.tick").forEach(function (box) { box.checked = tickAll.checked; });
      var scope = byId("bulk-scope");
      if (scope && tickAll.checked) { scope.value = "selected"; }
    });
  }
  document.querySelectorAll("input.tick").forEach(function (box) {
    box.addEventListener("change", function () {
      var row = box.closest("tr");
      if (row) { row.classList.toggle("ticked", box.checked); }
      var scope = byId("bulk-scope");
      if (scope && box.checked) { scope.value = "selected"; }
    });
  });

  if (rows.length) { select(0); }
})();
