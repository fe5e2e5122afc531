// Minimal scope analysis for the Espruino compatibility gate: which declaration (if any)
// each identifier reference resolves to, which function it runs in, and where
// declarations sit. Built on acorn-walk's `recursive` walker with its `base` visitors for
// every node type the gate does not care about.
//
// Terms:
//   fn        the nearest function (or the program) around a node; arrows count.
//   evalRoot  the nearest function around a node that is NOT an immediately invoked
//             function expression: code runs while that function (or the program) is
//             being evaluated. Espruino defines `function` and `var` declarations only
//             when execution reaches them, so a reference with the same evalRoot as its
//             declaration that sits textually before it fails.
import * as walk from "acorn-walk";

var FN_TYPES = { FunctionDeclaration: 1, FunctionExpression: 1, ArrowFunctionExpression: 1 };

class Scope {
  constructor(kind, node, parent, fnScope) {
    this.kind = kind; // program | function | block | for | catch | class
    this.node = node;
    this.parent = parent;
    this.fn = fnScope || this; // nearest function/program scope
    this.decls = new Map();
    this.iife = false;
    this.arrow = false;
  }
}

/** The nearest enclosing function scope that is not an IIFE (the program at worst). */
export function resolve(scope, name) {
  for (var s = scope; s; s = s.parent) {
    var d = s.decls.get(name);
    if (d) return d;
  }
  return null;
}

export function evalRootOf(fnScope) {
  var s = fnScope;
  while (s.iife && s.parent) s = s.parent.fn;
  return s;
}

/**
 * @returns {{ program: Scope, scopes: Scope[], refs: Ref[], refByNode: Map<object, Ref>, loops: {node: object, scope: Scope}[], classInits: Map<object, object> }}
 *   Ref = { name, node, scope, fn, isWrite, inTypeof, decl }
 *   Decl = { name, kind, id, node, scope, sites: [{ node, cond }], iife?, selfRefBroken? }
 */
export function analyzeScopes(ast) {
  var program = new Scope("program", ast, null, null);
  var scopes = [program];
  var refs = [];
  var refByNode = new Map();
  var declIds = new WeakSet();
  var iifes = new WeakSet();
  var sameNameClass = new WeakSet();
  var loops = [];
  var classInits = new Map(); // ClassExpression -> Identifier of the declarator it initialises

  function declare(scope, name, kind, id, node, cond) {
    var d = scope.decls.get(name);
    if (d) {
      d.sites.push({ node: node, cond: cond });
      // A var redeclared over a parameter or function keeps its first kind.
      return d;
    }
    d = { name: name, kind: kind, id: id, node: node, scope: scope, sites: [{ node: node, cond: cond }] };
    scope.decls.set(name, d);
    return d;
  }

  function addRef(node, st, isWrite, inTypeof) {
    var r = { name: node.name, node: node, scope: st.scope, fn: st.scope.fn, isWrite: isWrite, inTypeof: inTypeof, decl: null };
    refs.push(r);
    refByNode.set(node, r);
  }

  // Declares the identifiers of a binding pattern; expressions inside it (defaults,
  // computed keys) are visited as references.
  function declarePattern(p, scope, kind, node, st, c, cond) {
    if (!p) return;
    switch (p.type) {
      case "Identifier":
        declIds.add(p);
        declare(scope, p.name, kind, p, node, cond);
        return;
      case "AssignmentPattern":
        declarePattern(p.left, scope, kind, node, st, c, cond);
        c(p.right, st, "Expression");
        return;
      case "RestElement":
        declarePattern(p.argument, scope, kind, node, st, c, cond);
        return;
      case "ArrayPattern":
        for (var e of p.elements) declarePattern(e, scope, kind, node, st, c, cond);
        return;
      case "ObjectPattern":
        for (var prop of p.properties) {
          if (prop.type === "RestElement") declarePattern(prop.argument, scope, kind, node, st, c, cond);
          else {
            if (prop.computed) c(prop.key, st, "Expression");
            declarePattern(prop.value, scope, kind, node, st, c, cond);
          }
        }
        return;
      default:
        // MemberExpression targets (only in assignments) are expressions.
        c(p, st, "Expression");
    }
  }

  function child(st, scope, extra) {
    var n = { scope: scope, cond: st.cond };
    if (extra) Object.assign(n, extra);
    return n;
  }

  var funcs = {
    Function(node, st, c) {
      var outer = st.scope;
      if (node.type === "FunctionDeclaration" && node.id) {
        declIds.add(node.id);
        var target = outer.kind === "function" || outer.kind === "program" ? outer.fn : outer;
        declare(target, node.id.name, "function", node.id, node, null);
      }
      var fs = new Scope("function", node, outer, null);
      fs.iife = iifes.has(node);
      fs.arrow = node.type === "ArrowFunctionExpression";
      scopes.push(fs);
      var inner = { scope: fs, cond: null };
      if (node.type === "FunctionExpression" && node.id) {
        declIds.add(node.id);
        declare(fs, node.id.name, "fname", node.id, node, null);
      }
      if (!fs.arrow) declare(fs, "arguments", "implicit", null, node, null);
      for (var p of node.params) declarePattern(p, fs, "param", node, inner, c, null);
      if (node.expression) c(node.body, inner, "Expression");
      else for (var s of node.body.body) c(s, inner, "Statement");
    },
    BlockStatement(node, st, c) {
      var bs = new Scope("block", node, st.scope, st.scope.fn);
      scopes.push(bs);
      var inner = child(st, bs);
      for (var s of node.body) c(s, inner, "Statement");
    },
    StaticBlock(node, st, c) {
      var fs = new Scope("function", node, st.scope, null);
      scopes.push(fs);
      var inner = { scope: fs, cond: null };
      for (var s of node.body) c(s, inner, "Statement");
    },
    ForStatement(node, st, c) {
      var scope = st.scope;
      if (node.init && node.init.type === "VariableDeclaration" && node.init.kind !== "var") {
        scope = new Scope("for", node, st.scope, st.scope.fn);
        scopes.push(scope);
        loops.push({ node: node, scope: scope });
      }
      var inner = child(st, scope);
      if (node.init) c(node.init, inner, "ForInit");
      if (node.test) c(node.test, child(st, scope, { cond: node }), "Expression");
      if (node.update) c(node.update, child(st, scope, { cond: node }), "Expression");
      c(node.body, child(st, scope, { cond: node.body }), "Statement");
    },
    ForInStatement(node, st, c) { funcs.ForOfStatement(node, st, c); },
    ForOfStatement(node, st, c) {
      var scope = st.scope;
      if (node.left.type === "VariableDeclaration" && node.left.kind !== "var") {
        scope = new Scope("for", node, st.scope, st.scope.fn);
        scopes.push(scope);
        loops.push({ node: node, scope: scope });
      }
      c(node.right, st, "Expression");
      c(node.left, child(st, scope, { cond: node }), "ForInit");
      c(node.body, child(st, scope, { cond: node.body }), "Statement");
    },
    WhileStatement(node, st, c) {
      c(node.test, st, "Expression");
      c(node.body, child(st, st.scope, { cond: node.body }), "Statement");
    },
    DoWhileStatement(node, st, c) {
      c(node.body, st, "Statement");
      c(node.test, st, "Expression");
    },
    IfStatement(node, st, c) {
      c(node.test, st, "Expression");
      c(node.consequent, child(st, st.scope, { cond: node.consequent }), "Statement");
      if (node.alternate) c(node.alternate, child(st, st.scope, { cond: node.alternate }), "Statement");
    },
    SwitchCase(node, st, c) {
      if (node.test) c(node.test, st, "Expression");
      var inner = child(st, st.scope, { cond: node });
      for (var s of node.consequent) c(s, inner, "Statement");
    },
    TryStatement(node, st, c) {
      c(node.block, child(st, st.scope, { cond: node.block }), "Statement");
      if (node.handler) c(node.handler, child(st, st.scope, { cond: node.handler }));
      if (node.finalizer) c(node.finalizer, st, "Statement");
    },
    CatchClause(node, st, c) {
      var cs = new Scope("catch", node, st.scope, st.scope.fn);
      scopes.push(cs);
      var inner = child(st, cs);
      if (node.param) declarePattern(node.param, cs, "catch", node, inner, c, null);
      c(node.body, inner, "Statement");
    },
    VariableDeclaration(node, st, c) {
      for (var d of node.declarations) {
        var target = node.kind === "var" ? st.scope.fn : st.scope;
        if (d.init && d.init.type === "ClassExpression" && d.id.type === "Identifier") {
          classInits.set(d.init, d.id);
          if (d.init.id && d.id.name === d.init.id.name) sameNameClass.add(d.init);
        }
        declarePattern(d.id, target, node.kind, node, st, c, node.kind === "var" ? st.cond : null);
        if (d.init) c(d.init, st, "Expression");
      }
    },
    Class(node, st, c) {
      if (node.type === "ClassDeclaration" && node.id) {
        declIds.add(node.id);
        declare(st.scope, node.id.name, "class", node.id, node, null);
      }
      if (node.superClass) c(node.superClass, st, "Expression");
      var cs = new Scope("class", node, st.scope, st.scope.fn);
      scopes.push(cs);
      if (node.type === "ClassExpression" && node.id) {
        declIds.add(node.id);
        var d = declare(cs, node.id.name, "cname", node.id, node, null);
        d.selfRefBroken = !sameNameClass.has(node);
      }
      var inner = child(st, cs);
      for (var el of node.body.body) c(el, inner);
    },
    PropertyDefinition(node, st, c) {
      if (node.computed) c(node.key, st, "Expression");
      if (node.value) {
        // Field initialisers run later, per instance: a function-like context.
        var fs = new Scope("function", node, st.scope, null);
        scopes.push(fs);
        c(node.value, { scope: fs, cond: null }, "Expression");
      }
    },
    CallExpression(node, st, c) {
      var callee = node.callee;
      if (FN_TYPES[callee.type]) iifes.add(callee);
      else if (callee.type === "MemberExpression" && !callee.computed && FN_TYPES[callee.object.type] &&
        (callee.property.name === "call" || callee.property.name === "apply")) iifes.add(callee.object);
      walk.base.CallExpression(node, st, c);
    },
    AssignmentExpression(node, st, c) {
      if (node.left.type === "Identifier") {
        if (node.right.type === "ClassExpression" && node.right.id && node.right.id.name === node.left.name) sameNameClass.add(node.right);
        addRef(node.left, st, node.operator === "=", false);
        c(node.right, st, "Expression");
      } else walk.base.AssignmentExpression(node, st, c);
    },
    UnaryExpression(node, st, c) {
      if (node.operator === "typeof" && node.argument.type === "Identifier") addRef(node.argument, st, false, true);
      else c(node.argument, st, "Expression");
    },
    Identifier(node, st) {
      addRef(node, st, false, false);
    },
    VariablePattern(node, st) {
      if (!declIds.has(node)) addRef(node, st, true, false);
    },
  };

  walk.recursive(ast, { scope: program, cond: null }, funcs, walk.base);

  for (var r of refs) {
    var s = r.scope;
    while (s) {
      var d = s.decls.get(r.name);
      if (d) {
        r.decl = d;
        break;
      }
      s = s.parent;
    }
  }
  return { program: program, scopes: scopes, refs: refs, refByNode: refByNode, loops: loops, classInits: classInits };
}
