/* Template studio editor: CodeMirror on the version editor's textareas (progressive
 * enhancement: the textareas stay in the form and are what is submitted), the palette
 * that inserts at the cursor, and the preview's errors marked on their lines.
 *
 * Contract with the page (templates_store/version_detail.html):
 * - textarea[data-editor=html|text|json] becomes a code editor; every change is copied
 *   back to the textarea and fires "ccm:edited" on it, which its hx-trigger debounces
 *   into a live preview request;
 * - input[data-insertable] (subject lines) stay plain inputs but accept palette inserts;
 * - button[data-insert] in the palette inserts its snippet;
 * - the preview endpoint answers with an HX-Trigger "ccm:diagnostics" event,
 *   {channels: {email: [{field, line, kind, message}, ...], ...},
 *    fields: {sample_data: [...]}}; the page's first errors are in
 *   script#editor-diagnostics;
 * - [data-field-errors=NAME] and [data-channel-errors=CHANNEL] hold errors without a line;
 * - button[data-confirm] asks before submitting.
 */
(function () {
  "use strict";

  var ERRORS_GUTTER = "editor-errors-gutter";
  var editors = {}; // field name ("email-body_html") -> CodeMirror
  var marks = {}; // field name -> [{line handle, widget}]
  var lastTarget = null; // the CodeMirror or input the palette inserts into

  function defineModes() {
    CodeMirror.defineMode("ccm-jinja-html", function (config) {
      return CodeMirror.overlayMode(
        CodeMirror.getMode(config, "htmlmixed"),
        CodeMirror.getMode(config, "jinja2")
      );
    });
  }

  var MODES = {
    html: "ccm-jinja-html",
    text: "jinja2",
    json: { name: "javascript", json: true },
  };

  function labelFor(textarea) {
    var label = textarea.id && document.querySelector("label[for='" + textarea.id + "']");
    return label ? label.textContent.trim() : textarea.name;
  }

  function enhance(textarea) {
    var cm = CodeMirror.fromTextArea(textarea, {
      mode: MODES[textarea.dataset.editor] || "jinja2",
      lineNumbers: true,
      lineWrapping: true,
      matchBrackets: true,
      indentUnit: 2,
      tabSize: 2,
      viewportMargin: Infinity,
      gutters: ["CodeMirror-linenumbers", ERRORS_GUTTER],
    });
    cm.getWrapperElement().dataset.editorFor = textarea.name;
    cm.getInputField().setAttribute("aria-label", labelFor(textarea));
    cm.on("change", function () {
      cm.save();
      htmx.trigger(textarea, "ccm:edited");
    });
    cm.on("focus", function () {
      lastTarget = cm;
    });
    editors[textarea.name] = cm;
    return cm;
  }

  // PALETTE -----------------------------------------------------------------------------

  function insert(snippet) {
    var target = lastTarget || editors["email-body_html"] || editors[Object.keys(editors)[0]];
    if (!target) return;
    if (target.replaceSelection) {
      target.replaceSelection(snippet);
      target.focus();
      return;
    }
    var start = target.selectionStart == null ? target.value.length : target.selectionStart;
    var end = target.selectionEnd == null ? start : target.selectionEnd;
    target.setRangeText(snippet.replace(/\s*\n\s*/g, " "), start, end, "end");
    target.focus();
    htmx.trigger(target, "ccm:edited");
  }

  function filterPalette(input) {
    var term = input.value.trim().toLowerCase();
    var palette = input.closest(".palette");
    palette.querySelectorAll("[data-palette-item]").forEach(function (item) {
      var text = (item.dataset.paletteItem + " " + item.textContent).toLowerCase();
      item.hidden = term !== "" && text.indexOf(term) === -1;
    });
  }

  // DIAGNOSTICS -------------------------------------------------------------------------

  function clearField(name) {
    var cm = editors[name];
    if (cm) {
      cm.clearGutter(ERRORS_GUTTER);
      (marks[name] || []).forEach(function (mark) {
        cm.removeLineClass(mark.line, "background", "editor-error-line");
        mark.widget.clear();
      });
      marks[name] = [];
    }
    var box = document.querySelector("[data-field-errors='" + name + "']");
    if (box) box.textContent = "";
  }

  function clearChannel(channel) {
    Object.keys(editors).forEach(function (name) {
      if (name.indexOf(channel + "-") === 0) clearField(name);
    });
    document
      .querySelectorAll(
        "[data-channel-errors='" + channel + "'], [data-field-errors^='" + channel + "-']"
      )
      .forEach(function (box) {
        box.textContent = "";
      });
  }

  var lineFormat = "Line {line}:"; // replaced by the page's translation (data-line-format)

  function lineText(line, message) {
    return line ? lineFormat.replace("{line}", line) + " " + message : message;
  }

  function showOnLine(cm, name, diagnostic) {
    var index = Math.min(Math.max(diagnostic.line, 1), cm.lineCount()) - 1;
    var info = cm.lineInfo(index);
    var existing = info.gutterMarkers && info.gutterMarkers[ERRORS_GUTTER];
    var marker = existing || document.createElement("span");
    marker.className = "editor-error-marker";
    marker.textContent = "●";
    marker.dataset.kind = diagnostic.kind;
    marker.title = (existing ? existing.title + "\n" : "") + diagnostic.message;
    cm.setGutterMarker(index, ERRORS_GUTTER, marker);
    var line = cm.addLineClass(index, "background", "editor-error-line");
    var note = document.createElement("div");
    note.className = "editor-error-widget";
    note.dataset.kind = diagnostic.kind;
    note.dataset.line = String(diagnostic.line);
    note.setAttribute("role", "alert");
    note.textContent = lineText(diagnostic.line, diagnostic.message);
    var widget = cm.addLineWidget(index, note, { coverGutter: false, noHScroll: true });
    (marks[name] = marks[name] || []).push({ line: line, widget: widget });
  }

  // ``channel`` is "" for a field outside the channels (the sample data).
  function show(channel, diagnostic) {
    var name = !diagnostic.field ? "" : channel ? channel + "-" + diagnostic.field : diagnostic.field;
    var cm = name && editors[name];
    if (cm && diagnostic.line) {
      showOnLine(cm, name, diagnostic);
      return;
    }
    var box =
      (name && document.querySelector("[data-field-errors='" + name + "']")) ||
      (channel && document.querySelector("[data-channel-errors='" + channel + "']"));
    if (!box) return;
    var item = document.createElement("div");
    item.dataset.kind = diagnostic.kind;
    item.textContent = lineText(diagnostic.line, diagnostic.message);
    box.appendChild(item);
  }

  function applyDiagnostics(payload) {
    var fields = (payload && payload.fields) || {};
    Object.keys(fields).forEach(function (name) {
      clearField(name);
      fields[name].forEach(function (diagnostic) {
        show("", diagnostic);
      });
    });
    var channels = (payload && payload.channels) || {};
    Object.keys(channels).forEach(function (channel) {
      clearChannel(channel);
      channels[channel].forEach(function (diagnostic) {
        show(channel, diagnostic);
      });
    });
  }

  // START -------------------------------------------------------------------------------

  function start() {
    var form = document.getElementById("editor");
    document.addEventListener("click", function (event) {
      var confirmer = event.target.closest("[data-confirm]");
      if (confirmer && !window.confirm(confirmer.dataset.confirm)) event.preventDefault();
      var inserter = event.target.closest("[data-insert]");
      if (inserter) insert(inserter.dataset.insert);
    });
    if (!form || typeof CodeMirror === "undefined") return;
    lineFormat = form.dataset.lineFormat || lineFormat;
    defineModes();
    form.querySelectorAll("textarea[data-editor]").forEach(enhance);
    form.querySelectorAll("input[data-insertable]").forEach(function (input) {
      input.addEventListener("focus", function () {
        lastTarget = input;
      });
    });
    // Keep the cursor where it is while clicking the palette.
    document.querySelectorAll(".palette [data-insert]").forEach(function (button) {
      button.addEventListener("mousedown", function (event) {
        event.preventDefault();
      });
    });
    document.querySelectorAll("[data-palette-filter]").forEach(function (input) {
      input.addEventListener("input", function () {
        filterPalette(input);
      });
    });
    document.body.addEventListener("ccm:diagnostics", function (event) {
      applyDiagnostics(event.detail);
    });
    var first = document.getElementById("editor-diagnostics");
    if (first) applyDiagnostics(JSON.parse(first.textContent));
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
