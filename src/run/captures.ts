/**
 * Finds the variables a function's source uses from outside itself.
 *
 * A plain function sent to another thread crosses as source text; any
 * identifier it reads from the scope it was written in (other than a global
 * the other thread also has) would be undefined there. We parse the source
 * with acorn and resolve every identifier reference against the function's
 * own scopes: parameters, `var`/function hoisting, block-scoped `let`/`const`/
 * `class`, catch parameters, and names of named function and class
 * expressions. What resolves to none of them is free.
 */

import { createRequire } from 'node:module';

// acorn is loaded on first use: a program that never sends a function to a
// thread never pays for the parser.
let acorn: typeof import('acorn') | undefined;
function parser(): typeof import('acorn') {
  return (acorn ??= createRequire(import.meta.url)('acorn') as typeof import('acorn'));
}

// acorn's node type is structural; we only read a few fields.
interface Node {
  type: string;
  [key: string]: any;
}

class Scope {
  readonly names = new Set<string>();
  constructor(readonly parent: Scope | undefined) {}

  has(name: string): boolean {
    for (let scope: Scope | undefined = this; scope; scope = scope.parent) if (scope.names.has(name)) return true;
    return false;
  }
}

function bindingNames(pattern: Node | null, out: Set<string>): void {
  if (pattern === null) return;
  switch (pattern.type) {
    case 'Identifier':
      out.add(pattern.name);
      break;
    case 'ObjectPattern':
      for (const property of pattern.properties) {
        bindingNames(property.type === 'RestElement' ? property.argument : property.value, out);
      }
      break;
    case 'ArrayPattern':
      for (const element of pattern.elements) bindingNames(element, out);
      break;
    case 'RestElement':
      bindingNames(pattern.argument, out);
      break;
    case 'AssignmentPattern':
      bindingNames(pattern.left, out);
      break;
  }
}

/** `var` and function declarations anywhere in a function body, not inside nested functions. */
function hoisted(node: Node | null, out: Set<string>): void {
  if (node === null || typeof node !== 'object') return;
  switch (node.type) {
    case 'VariableDeclaration':
      if (node.kind === 'var') for (const declarator of node.declarations) bindingNames(declarator.id, out);
      return;
    case 'FunctionDeclaration':
      out.add(node.id.name);
      return;
    case 'FunctionExpression':
    case 'ArrowFunctionExpression':
    case 'ClassDeclaration':
    case 'ClassExpression':
      return;
  }
  for (const key of Object.keys(node)) {
    const child = node[key];
    if (Array.isArray(child)) for (const item of child) hoisted(item, out);
    else if (child !== null && typeof child === 'object' && typeof child.type === 'string') hoisted(child, out);
  }
}

/** Block-level declarations of a statement list. */
function lexical(statements: Node[], scope: Scope): void {
  for (const statement of statements) {
    if (statement.type === 'VariableDeclaration' && statement.kind !== 'var') {
      for (const declarator of statement.declarations) bindingNames(declarator.id, scope.names);
    } else if ((statement.type === 'ClassDeclaration' || statement.type === 'FunctionDeclaration') && statement.id) {
      scope.names.add(statement.id.name);
    }
  }
}

class Resolver {
  readonly free: string[] = [];
  /** Offsets of `import(` expressions, so the sender can route them (see inline.ts). */
  readonly imports: number[] = [];

  #reference(name: string, scope: Scope): void {
    if (!scope.has(name) && !this.free.includes(name)) this.free.push(name);
  }

  /** Walks a declaration pattern: binding names are not references, defaults and computed keys are. */
  #pattern(pattern: Node | null, scope: Scope): void {
    if (pattern === null) return;
    switch (pattern.type) {
      case 'ObjectPattern':
        for (const property of pattern.properties) {
          if (property.type === 'RestElement') this.#pattern(property.argument, scope);
          else {
            if (property.computed) this.walk(property.key, scope);
            this.#pattern(property.value, scope);
          }
        }
        return;
      case 'ArrayPattern':
        for (const element of pattern.elements) this.#pattern(element, scope);
        return;
      case 'RestElement':
        this.#pattern(pattern.argument, scope);
        return;
      case 'AssignmentPattern':
        this.#pattern(pattern.left, scope);
        this.walk(pattern.right, scope);
        return;
    }
  }

  function(node: Node, parent: Scope): void {
    const scope = new Scope(parent);
    if (node.type === 'FunctionExpression' && node.id) scope.names.add(node.id.name);
    if (node.type !== 'ArrowFunctionExpression') scope.names.add('arguments');
    for (const param of node.params) bindingNames(param, scope.names);
    if (node.body.type === 'BlockStatement') hoisted(node.body, scope.names);
    for (const param of node.params) this.#pattern(param, scope);
    this.walk(node.body, scope);
  }

  #class(node: Node, parent: Scope): void {
    const scope = new Scope(parent);
    if (node.id) scope.names.add(node.id.name);
    if (node.superClass) this.walk(node.superClass, parent);
    for (const member of node.body.body) {
      if (member.computed) this.walk(member.key, scope);
      if (member.value) this.walk(member.value, scope);
      if (member.type === 'StaticBlock') this.walk({ type: 'BlockStatement', body: member.body }, scope);
    }
  }

  walk(node: Node | null, scope: Scope): void {
    if (node === null || typeof node !== 'object') return;
    switch (node.type) {
      case 'Identifier':
        this.#reference(node.name, scope);
        return;
      case 'FunctionExpression':
      case 'FunctionDeclaration':
      case 'ArrowFunctionExpression':
        this.function(node, scope);
        return;
      case 'ClassExpression':
      case 'ClassDeclaration':
        this.#class(node, scope);
        return;
      case 'BlockStatement':
      case 'StaticBlock': {
        const block = new Scope(scope);
        lexical(node.body, block);
        for (const statement of node.body) this.walk(statement, block);
        return;
      }
      case 'SwitchStatement': {
        this.walk(node.discriminant, scope);
        const block = new Scope(scope);
        for (const c of node.cases) lexical(c.consequent, block);
        for (const c of node.cases) {
          this.walk(c.test, block);
          for (const statement of c.consequent) this.walk(statement, block);
        }
        return;
      }
      case 'ForStatement':
      case 'ForInStatement':
      case 'ForOfStatement': {
        const loop = new Scope(scope);
        const head = node.type === 'ForStatement' ? node.init : node.left;
        if (head?.type === 'VariableDeclaration' && head.kind !== 'var') lexical([head], loop);
        for (const key of ['init', 'test', 'update', 'left', 'right', 'body']) this.walk(node[key] ?? null, loop);
        return;
      }
      case 'CatchClause': {
        const handler = new Scope(scope);
        bindingNames(node.param, handler.names);
        this.#pattern(node.param, handler);
        this.walk(node.body, handler);
        return;
      }
      case 'VariableDeclaration':
        for (const declarator of node.declarations) {
          this.#pattern(declarator.id, scope);
          this.walk(declarator.init, scope);
        }
        return;
      case 'MemberExpression':
        this.walk(node.object, scope);
        if (node.computed) this.walk(node.property, scope);
        return;
      case 'Property':
      case 'PropertyDefinition':
      case 'MethodDefinition':
        if (node.computed) this.walk(node.key, scope);
        this.walk(node.value, scope);
        return;
      case 'LabeledStatement':
        this.walk(node.body, scope);
        return;
      case 'ImportExpression':
        this.imports.push(node.start);
        this.walk(node.source, scope);
        return;
      case 'BreakStatement':
      case 'ContinueStatement':
      case 'MetaProperty':
        return;
    }
    for (const key of Object.keys(node)) {
      if (key === 'type' || key === 'start' || key === 'end' || key === 'loc' || key === 'range') continue;
      const child = node[key];
      if (Array.isArray(child)) for (const item of child) this.walk(item, scope);
      else if (child !== null && typeof child === 'object' && typeof child.type === 'string') this.walk(child, scope);
    }
  }
}

/** What a function's source uses from outside itself. */
export interface Analysis {
  /** Identifiers it reads from enclosing scopes (globals included), in order of first use. */
  readonly free: string[];
  /** Offsets of its dynamic `import(` expressions. */
  readonly imports: number[];
}

/** Parses `source` (a function expression) and returns what it uses from outside itself. */
export function analyseFunction(source: string): Analysis {
  const node = parser().parseExpressionAt(source, 0, { ecmaVersion: 'latest', sourceType: 'module' }) as unknown as Node;
  // `run(x) { … }` (method shorthand) parses as the call `run(x)`: only a
  // function expression spanning the whole source counts.
  if ((node.type !== 'FunctionExpression' && node.type !== 'ArrowFunctionExpression') || source.slice(node.end).trim() !== '') {
    throw new SyntaxError('not a function expression');
  }
  const resolver = new Resolver();
  resolver.walk(node, new Scope(undefined));
  return resolver;
}
