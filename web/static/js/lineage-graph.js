// The console's lineage graph: table level and column level, drawn with cytoscape (labels are
// painted on a canvas, and every text put in the page goes through textContent, so a name can
// never become markup). Configured by data- attributes on [data-lineage-graph]; no inline script.
(function () {
  "use strict";

  var DAGRE_MAX_NODES = 400; // beyond this a layered layout by distance is as readable, and instant
  var COLORS = {
    dataset: "#2f6f9f",
    job: "#6b4fa0",
    field: "#3d8b6d",
    restricted: "#b8b8b8",
    root: "#d9822b",
    impact: "#c0392b",
    edge: "#7d8792",
  };

  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (key) {
      node.setAttribute(key, attrs[key]);
    });
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  function clear(node) {
    while (node.firstChild) node.removeChild(node.firstChild);
  }

  // Node ids keep the colons of the names (Marquez's form): "dataset:<ns>:<name>". The server
  // resolves them; the page only needs the kind and the node's own data for display.
  function kindOf(nodeId) {
    return nodeId.slice(0, nodeId.indexOf(":"));
  }

  function isRestricted(node) {
    return node.type === "RESTRICTED" || (node.data && node.data.restricted === true);
  }

  function LineageGraph(root) {
    this.root = root;
    this.api = root.getAttribute("data-api") || "/api/v1";
    this.nodeId = root.getAttribute("data-node-id");
    this.maxNodes = parseInt(root.getAttribute("data-max-nodes") || "2500", 10);
    this.datasetHref = root.getAttribute("data-dataset-href");
    this.jobHref = root.getAttribute("data-job-href");
    this.canvas = root.querySelector("[data-role=canvas]");
    this.notice = root.querySelector("[data-role=notice]");
    this.details = root.querySelector("[data-role=details]");
    this.status = root.querySelector("[data-role=status]");
    this.form = root.querySelector("[data-role=controls]");
    this.level = this.control("level", root.getAttribute("data-level") || "table");
    this.depth = parseInt(this.control("depth", root.getAttribute("data-depth") || "2"), 10);
    this.direction = this.control("direction", "both");
    this.cy = null;
    this.impactFrom = null;
    var self = this;
    if (this.form) {
      this.form.addEventListener("change", function () {
        self.level = self.control("level", self.level);
        self.depth = parseInt(self.control("depth", String(self.depth)), 10);
        self.direction = self.control("direction", self.direction);
        self.load();
      });
      this.form.addEventListener("submit", function (event) {
        event.preventDefault();
      });
    }
  }

  LineageGraph.prototype.control = function (name, fallback) {
    var input = this.form ? this.form.querySelector("[name=" + name + "]") : null;
    return input && input.value ? input.value : fallback;
  };

  LineageGraph.prototype.setControl = function (name, value) {
    var input = this.form ? this.form.querySelector("[name=" + name + "]") : null;
    if (input) input.value = value;
  };

  LineageGraph.prototype.say = function (text) {
    if (this.status) this.status.textContent = text;
  };

  LineageGraph.prototype.warn = function (text) {
    if (!this.notice) return;
    this.notice.textContent = text || "";
    this.notice.hidden = !text;
  };

  LineageGraph.prototype.fetchJson = function (path, params) {
    var query = Object.keys(params)
      .map(function (key) {
        return encodeURIComponent(key) + "=" + encodeURIComponent(params[key]);
      })
      .join("&");
    return fetch(this.api + path + "?" + query, {
      credentials: "same-origin",
      headers: { Accept: "application/json" },
    }).then(function (response) {
      return response.json().then(function (body) {
        if (!response.ok) {
          throw new Error((body && (body.detail || body.title)) || "HTTP " + response.status);
        }
        return body;
      });
    });
  };

  LineageGraph.prototype.load = function () {
    var self = this;
    var started = performance.now();
    this.impactFrom = null;
    this.root.setAttribute("data-state", "loading");
    this.say("Loading…");
    var marks = {};
    var path = this.level === "column" ? "/column-lineage" : "/lineage";
    var params =
      this.level === "column"
        ? { nodeId: this.nodeId, depth: this.depth, withDownstream: "true" }
        : { nodeId: this.nodeId, depth: this.depth };
    return this.fetchJson(path, params)
      .then(function (body) {
        marks.fetched = performance.now();
        var model = self.level === "column" ? self.columnElements(body) : self.tableElements(body);
        marks.modelled = performance.now();
        self.draw(model);
        marks.drawn = performance.now();
        return new Promise(function (resolve) {
          // Two frames: the canvas is painted once the second one starts.
          requestAnimationFrame(function () {
            requestAnimationFrame(function () {
              resolve(model);
            });
          });
        });
      })
      .then(function (model) {
        var now = performance.now();
        self.root.setAttribute("data-render-ms", String(Math.round(now - started)));
        self.root.setAttribute(
          "data-timings",
          JSON.stringify({
            fetch: Math.round(marks.fetched - started),
            model: Math.round(marks.modelled - marks.fetched),
            draw: Math.round(marks.drawn - marks.modelled),
            paint: Math.round(now - marks.drawn),
          })
        );
        self.root.setAttribute("data-ready-at", String(Math.round(now)));
        self.root.setAttribute("data-node-count", String(model.nodes.length));
        self.root.setAttribute("data-state", "ready");
        self.say(model.nodes.length + " nodes, " + model.edges.length + " edges");
      })
      .catch(function (error) {
        self.root.setAttribute("data-state", "error");
        self.warn("Could not load the lineage: " + error.message);
        self.say("");
      });
  };

  // --- models -------------------------------------------------------------------------------

  LineageGraph.prototype.tableElements = function (body) {
    var nodes = [];
    var edges = [];
    var seen = {};
    (body.graph || []).forEach(function (node) {
      var restricted = isRestricted(node);
      var data = node.data || {};
      var kind = restricted ? "restricted" : node.type === "JOB" ? "job" : "dataset";
      nodes.push({
        id: node.id,
        kind: kind,
        label: restricted ? "restricted" : data.name || node.id,
        namespace: restricted ? "" : data.namespace || "",
        name: restricted ? "" : data.name || "",
        state: data.latestRun ? data.latestRun.state : null,
      });
      (node.outEdges || []).forEach(function (edge) {
        var key = edge.origin + "\u0000" + edge.destination;
        if (!seen[key]) {
          seen[key] = true;
          edges.push({ source: edge.origin, target: edge.destination });
        }
      });
    });
    return this.focus({ nodes: nodes, edges: edges, truncated: !!body.truncated });
  };

  LineageGraph.prototype.columnElements = function (body) {
    var nodes = [];
    var edges = [];
    var parents = {};
    var seen = {};
    var inputs = {}; // "source\u0000target" -> the target's inputField entry for that source
    var graph = (body.graph || []).filter(function (node) {
      return node.data; // Marquez's UI drops such nodes too
    });
    graph.forEach(function (node) {
      (node.data.inputFields || []).forEach(function (input) {
        var source = "datasetField:" + input.namespace + ":" + input.dataset + ":" + input.field;
        inputs[source + "\u0000" + node.id] = input;
      });
    });
    graph.forEach(function (node) {
      var data = node.data;
      var restricted = isRestricted(node);
      var parentId = "dataset:" + data.namespace + ":" + data.dataset;
      if (!restricted && !parents[parentId]) {
        parents[parentId] = true;
        nodes.push({
          id: parentId,
          kind: "dataset",
          label: data.dataset,
          namespace: data.namespace,
          name: data.dataset,
          compound: true,
        });
      }
      nodes.push({
        id: node.id,
        kind: restricted ? "restricted" : "field",
        label: restricted ? "restricted" : data.field,
        namespace: restricted ? "" : data.namespace,
        name: restricted ? "" : data.dataset,
        field: restricted ? "" : data.field,
        fieldType: data.fieldType || "",
        parent: restricted ? undefined : parentId,
      });
      // outEdges name the fields this one feeds (restricted ones included, unlike inputFields).
      (node.outEdges || []).forEach(function (edge) {
        var key = edge.origin + "\u0000" + edge.destination;
        if (seen[key]) return;
        seen[key] = true;
        var input = inputs[key] || {};
        edges.push({
          source: edge.origin,
          target: edge.destination,
          transformation: input.transformationType || "",
          masking: !!input.masking,
          derived: !!input.derived,
        });
      });
    });
    var ids = {};
    nodes.forEach(function (n) {
      ids[n.id] = true;
    });
    edges = edges.filter(function (e) {
      return ids[e.source] && ids[e.target];
    });
    return this.focus({ nodes: nodes, edges: edges, truncated: !!body.truncated });
  };

  // Keep what the chosen direction reaches from the start, nearest first, at most maxNodes.
  LineageGraph.prototype.focus = function (model) {
    var out = {};
    var inn = {};
    model.edges.forEach(function (e) {
      (out[e.source] = out[e.source] || []).push(e.target);
      (inn[e.target] = inn[e.target] || []).push(e.source);
    });
    var children = {};
    model.nodes.forEach(function (n) {
      if (n.parent) (children[n.parent] = children[n.parent] || []).push(n.id);
    });
    var starts = children[this.nodeId] || [this.nodeId];
    var distance = {};
    var queue = [];
    starts.forEach(function (id) {
      distance[id] = 0;
      queue.push(id);
    });
    var up = this.direction !== "downstream";
    var down = this.direction !== "upstream";
    for (var i = 0; i < queue.length; i++) {
      var id = queue[i];
      var next = [];
      if (down) next = next.concat((out[id] || []).map(function (n) { return [n, 1]; }));
      if (up) next = next.concat((inn[id] || []).map(function (n) { return [n, -1]; }));
      next.forEach(function (pair) {
        if (distance[pair[0]] === undefined) {
          distance[pair[0]] = distance[id] + pair[1];
          queue.push(pair[0]);
        }
      });
    }
    var total = model.nodes.filter(function (n) { return !n.compound; }).length;
    var kept = queue.slice(0, this.maxNodes);
    var keep = {};
    kept.forEach(function (id) {
      keep[id] = true;
    });
    var nodes = model.nodes.filter(function (n) {
      if (n.compound) return (children[n.id] || []).some(function (c) { return keep[c]; }) || n.id === this.nodeId;
      return keep[n.id];
    }, this);
    nodes.forEach(function (n) {
      n.distance = distance[n.id] !== undefined ? distance[n.id] : 0;
    });
    var edges = model.edges.filter(function (e) {
      return keep[e.source] && keep[e.target];
    });
    var dropped = total - kept.length;
    var warnings = [];
    if (model.truncated) warnings.push("The server stopped the walk at its node limit.");
    if (kept.length < queue.length) {
      warnings.push(
        "Showing the " + kept.length + " nearest of " + queue.length + " nodes: lower the depth or focus on one direction."
      );
    } else if (dropped > 0 && this.direction !== "both") {
      warnings.push(dropped + " nodes in the other direction are hidden.");
    }
    this.warn(warnings.join(" "));
    return { nodes: nodes, edges: edges };
  };

  // --- drawing ------------------------------------------------------------------------------

  LineageGraph.prototype.draw = function (model) {
    var self = this;
    if (this.cy) this.cy.destroy();
    var elements = model.nodes.map(function (n) {
      return {
        group: "nodes",
        data: {
          id: n.id,
          label: n.label,
          kind: n.kind,
          parent: n.parent,
          namespace: n.namespace,
          name: n.name,
          field: n.field,
          fieldType: n.fieldType,
          state: n.state,
          distance: n.distance,
        },
        classes: n.kind + (n.id === self.nodeId ? " root" : "") + (n.compound ? " compound" : ""),
      };
    });
    model.edges.forEach(function (e, i) {
      var classes = [];
      if (e.derived) classes.push("derived");
      if (e.masking) classes.push("masked");
      if (e.transformation === "INDIRECT") classes.push("indirect");
      elements.push({
        group: "edges",
        data: { id: "e" + i, source: e.source, target: e.target, transformation: e.transformation || "" },
        classes: classes.join(" "),
      });
    });
    var large = model.nodes.length > DAGRE_MAX_NODES;
    this.cy = window.cytoscape({
      container: this.canvas,
      elements: elements,
      style: this.style(),
      layout: large ? this.layeredLayout(model) : this.dagreLayout(),
      wheelSensitivity: 0.3,
      minZoom: 0.05,
      maxZoom: 1.6,
      textureOnViewport: large,
      hideEdgesOnViewport: large,
      pixelRatio: large ? 1 : "auto",
    });
    this.cy.on("tap", "node", function (event) {
      self.show(event.target);
    });
    this.cy.on("dbltap", "node.dataset", function (event) {
      self.expand(event.target.id());
    });
    this.showNothing();
  };

  LineageGraph.prototype.dagreLayout = function () {
    return { name: "dagre", rankDir: "LR", nodeSep: 30, rankSep: 130, animate: false, fit: true, padding: 30 };
  };

  // Columns by distance from the start, rows in name order: linear time for any size.
  LineageGraph.prototype.layeredLayout = function (model) {
    var columns = {};
    model.nodes.forEach(function (n) {
      if (n.compound) return;
      (columns[n.distance] = columns[n.distance] || []).push(n);
    });
    var positions = {};
    Object.keys(columns).forEach(function (d) {
      columns[d]
        .sort(function (a, b) {
          return a.label < b.label ? -1 : a.label > b.label ? 1 : 0;
        })
        .forEach(function (n, row) {
          positions[n.id] = { x: Number(d) * 260, y: row * 34 };
        });
    });
    return {
      name: "preset",
      positions: function (node) {
        return positions[node.id()] || { x: 0, y: 0 };
      },
      fit: true,
      padding: 20,
    };
  };

  LineageGraph.prototype.style = function () {
    return [
      {
        selector: "node",
        style: {
          label: "data(label)",
          "font-size": 11,
          "text-valign": "bottom",
          "text-halign": "center",
          "text-margin-y": 3,
          "text-wrap": "ellipsis",
          "text-max-width": "180px",
          "min-zoomed-font-size": 7,
          width: 14,
          height: 14,
          "background-color": COLORS.dataset,
          color: "#1d2328",
        },
      },
      { selector: "node.job", style: { shape: "round-rectangle", "background-color": COLORS.job } },
      {
        selector: "node.field",
        style: {
          "background-color": COLORS.field,
          width: 10,
          height: 10,
          "text-valign": "center",
          "text-halign": "right",
          "text-margin-x": 4,
          "text-margin-y": 0,
        },
      },
      {
        selector: "node.restricted",
        style: { "background-color": COLORS.restricted, color: "#8a8a8a", "font-style": "italic", shape: "diamond" },
      },
      {
        selector: "node.compound",
        style: {
          "background-opacity": 0.06,
          "border-color": COLORS.dataset,
          "border-width": 1,
          "text-valign": "top",
          "text-halign": "center",
          "font-weight": "bold",
          padding: 8,
        },
      },
      { selector: "node.root", style: { "border-width": 3, "border-color": COLORS.root } },
      { selector: "node:selected", style: { "border-width": 3, "border-color": "#111" } },
      {
        selector: "edge",
        style: {
          width: 1.4,
          "line-color": COLORS.edge,
          "target-arrow-color": COLORS.edge,
          "target-arrow-shape": "triangle",
          "arrow-scale": 0.8,
          "curve-style": "bezier",
        },
      },
      { selector: "edge.derived", style: { "line-style": "dashed" } },
      { selector: "edge.indirect", style: { "line-style": "dotted", "line-color": "#a7b0b9" } },
      { selector: "edge.masked", style: { "target-arrow-shape": "tee", "line-color": "#8e6c1f" } },
      { selector: ".faded", style: { opacity: 0.15 } },
      {
        selector: ".impact",
        style: { "background-color": COLORS.impact, "line-color": COLORS.impact, "target-arrow-color": COLORS.impact },
      },
    ];
  };

  // --- interaction --------------------------------------------------------------------------

  LineageGraph.prototype.expand = function (datasetId) {
    this.nodeId = datasetId;
    this.level = "column";
    this.setControl("level", "column");
    this.load();
  };

  LineageGraph.prototype.showNothing = function () {
    if (!this.details) return;
    clear(this.details);
    this.details.appendChild(el("p", { class: "muted" }, "Select a node to see it here; double-click a dataset to show its columns."));
  };

  LineageGraph.prototype.href = function (template, namespace, name) {
    return template
      .replace("__NAMESPACE__", encodeURIComponent(namespace))
      .replace("__NAME__", encodeURIComponent(name));
  };

  LineageGraph.prototype.show = function (node) {
    var self = this;
    var data = node.data();
    if (!this.details) return;
    clear(this.details);
    if (data.kind === "restricted") {
      this.details.appendChild(el("h3", {}, "Restricted"));
      this.details.appendChild(el("p", {}, "You may not see this node; ask an admin for a grant."));
      return;
    }
    var title = data.kind === "field" ? data.name + "." + data.field : data.name;
    this.details.appendChild(el("h3", { "data-role": "selected-name" }, title));
    var list = el("dl");
    [
      ["Kind", data.kind],
      ["Namespace", data.namespace],
      ["Type", data.fieldType],
      ["Latest run", data.state],
    ].forEach(function (pair) {
      if (!pair[1]) return;
      list.appendChild(el("dt", {}, pair[0]));
      list.appendChild(el("dd", {}, pair[1]));
    });
    this.details.appendChild(list);
    var actions = el("div", { class: "actions" });
    var template = data.kind === "job" ? this.jobHref : this.datasetHref;
    if (template && data.kind !== "field") {
      actions.appendChild(el("a", { href: this.href(template, data.namespace, data.name), class: "button" }, "Open"));
    }
    if (data.kind === "dataset") {
      var columns = el("button", { type: "button", "data-action": "columns" }, "Show columns");
      columns.addEventListener("click", function () {
        self.expand(data.id);
      });
      actions.appendChild(columns);
    }
    if (data.kind === "field") {
      var impact = el("button", { type: "button", "data-action": "impact" }, "Impact downstream");
      impact.addEventListener("click", function () {
        self.impact(data.id);
      });
      actions.appendChild(impact);
      var focus = el("button", { type: "button", "data-action": "focus" }, "Focus on this column");
      focus.addEventListener("click", function () {
        self.nodeId = data.id;
        self.load();
      });
      actions.appendChild(focus);
    }
    this.details.appendChild(actions);
  };

  LineageGraph.prototype.impact = function (fieldId) {
    var self = this;
    this.say("Following impact…");
    return this.fetchJson("/impact", { nodeId: fieldId, direction: "downstream", depth: this.depth })
      .then(function (body) {
        var reached = {};
        reached[fieldId] = true;
        (body.columns || []).forEach(function (c) {
          reached[c.nodeId] = true;
        });
        self.cy.batch(function () {
          self.cy.elements().removeClass("impact").addClass("faded");
          self.cy.nodes().forEach(function (n) {
            if (reached[n.id()]) n.removeClass("faded").addClass("impact");
            if (n.isParent() && n.children().some(function (c) { return reached[c.id()]; })) n.removeClass("faded");
          });
          self.cy.edges().forEach(function (e) {
            if (reached[e.source().id()] && reached[e.target().id()]) e.removeClass("faded").addClass("impact");
          });
        });
        self.root.setAttribute("data-impact-count", String((body.columns || []).length));
        var summary = el(
          "p",
          { "data-role": "impact-summary" },
          (body.columns || []).length + " columns in " + (body.datasets || []).length + " datasets, through " +
            (body.jobs || []).length + " jobs, are downstream."
        );
        self.details.appendChild(summary);
        var reset = el("button", { type: "button", "data-action": "clear-impact" }, "Clear impact");
        reset.addEventListener("click", function () {
          self.cy.elements().removeClass("impact faded");
          summary.remove();
          reset.remove();
        });
        self.details.appendChild(reset);
        self.say("");
      })
      .catch(function (error) {
        self.warn("Could not follow the impact: " + error.message);
      });
  };

  function start() {
    if (!window.cytoscape) return;
    if (window.cytoscapeDagre) window.cytoscape.use(window.cytoscapeDagre);
    Array.prototype.forEach.call(document.querySelectorAll("[data-lineage-graph]"), function (root) {
      var graph = new LineageGraph(root);
      root.lineageGraph = graph;
      graph.load();
    });
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
