import Facts
import Foundation
import Kconfig
import Model
import Workflows

// modcheck-probe --repo DIR --rev REV [--scope P]... COMMAND ARGS
//   range SYM [A=m ...]      the evaluator's range of SYM with the assumptions
//   witness A=y B=m ...      a configuration with these values (KconfigEvaluator.witness)
//   reach PATH...            whether kbuild compiles each file, and its units
//   units                    scoped units: name, config, canBeModule, canBeBuiltin, sources
//   refs UNIT...             resolved references of units (name kind resolution [provider])
//   allrefs                  resolved references of every scoped unit that can be a module
//   --declared               refs/allrefs: a last column saying whether the unit's own files or
//                            the headers they include declare or define the name (what a
//                            declaration filter of the model would keep)
var args = Array(CommandLine.arguments.dropFirst())
var options = CommonOptions()
var revision = "HEAD"
var scopes: [String] = []
var showDeclared = false
if let i = args.firstIndex(of: "--declared") {
    args.remove(at: i)
    showDeclared = true
}
@MainActor func take(_ flag: String) -> String? {
    guard let i = args.firstIndex(of: flag), i + 1 < args.count else { return nil }
    let v = args[i + 1]
    args.removeSubrange(i...(i + 1))
    return v
}
options.repository = take("--repo")
options.cacheDirectory = take("--cache")
if let r = take("--rev") { revision = r }
while let s = take("--scope") { scopes.append(s) }
if !scopes.isEmpty {
    options.scope = scopes
    options.scopeGiven = true
}
let session = try Session(options: options)
let tree = try session.tree(at: revision)
let model = session.model(of: tree)
guard let command = args.first else {
    print("commands: range, units, refs, allrefs")
    exit(2)
}
func describe(_ r: SymbolResolution) -> String {
    switch r {
    case .own: return "own"
    case .header: return "header"
    case .exported(let s): return "exported \(s[0].path)"
    case .notExported(let p): return "notExported \(p[0].path):\(p[0].line)"
    case .unresolved: return "unresolved"
    case .undeclared: return "undeclared"
    }
}
switch command {
case "range":
    var assuming: [String: Tristate] = [:]
    for a in args.dropFirst(2) {
        let parts = a.split(separator: "=")
        if parts.count == 2, let v = Tristate(text: String(parts[1])) { assuming[String(parts[0])] = v }
    }
    let r = model.evaluator.range(args[1], assuming: assuming)
    print("\(args[1]) \(r.lowerBound)...\(r.upperBound)")
case "witness":
    var exactly: [String: Tristate] = [:]
    for a in args.dropFirst() {
        let parts = a.split(separator: "=")
        if parts.count == 2, let v = Tristate(text: String(parts[1])) { exactly[String(parts[0])] = v }
    }
    print(model.evaluator.witness(exactly: exactly).map(\.description) ?? "no configuration found")
case "compare":
    // compare ARCH ALLCONFIG DOTCONFIG: modcheck's value of every symbol under the ALLCONFIG
    // assignments on ARCH against what conf wrote (`KCONFIG_ALLCONFIG=... make allyesconfig`).
    func read(_ path: String) -> [String: Tristate] {
        var out: [String: Tristate] = [:]
        for line in (try? String(contentsOfFile: path, encoding: .utf8))?.split(separator: "\n") ?? [] {
            if line.hasPrefix("# CONFIG_"), line.hasSuffix(" is not set") {
                out[String(line.dropFirst(9).dropLast(11))] = .n
            } else if line.hasPrefix("CONFIG_"), let eq = line.firstIndex(of: "=") {
                if let v = Tristate(text: String(line[line.index(after: eq)...])) {
                    out[String(line[line.index(line.startIndex, offsetBy: 7)..<eq])] = v
                }
            }
        }
        return out
    }
    let arch = args[1] == "-" ? nil : args[1]
    let ours = model.evaluator.configuration(architecture: arch, user: read(args[2]))
    let theirs = read(args[3])
    var differences = 0
    for (name, v) in ours.sorted(by: { $0.key < $1.key }) where (theirs[name] ?? .n) != v {
        differences += 1
        if differences <= 60 { print("\(name): modcheck \(v), conf \(theirs[name].map { "\($0)" } ?? "unset")") }
    }
    print("\(differences) differences over \(ours.count) symbols")
case "explain":
    // explain ARCH SYM [A=m ...]
    var user: [String: Tristate] = [:]
    for a in args.dropFirst(3) {
        let parts = a.split(separator: "=")
        if parts.count == 2, let v = Tristate(text: String(parts[1])) { user[String(parts[0])] = v }
    }
    print(model.evaluator.explain(args[2], architecture: args[1] == "-" ? nil : args[1], user: user))
case "facts":
    // facts PATH: what the scanner read from one file
    guard let f = model.facts(args[1]) else {
        print("no facts for \(args[1])")
        exit(1)
    }
    for d in f.definitions { print("definition \(d.name) \(d.kind) \(d.storage) line \(d.line)") }
    for i in f.invocations where i.function == nil { print("invocation \(i.name)(\(i.arguments.joined(separator: ", "))) line \(i.line) if \(i.condition)") }
    for r in f.references { print("reference \(r.name) \(r.kind) line \(r.line) in \(r.function ?? "-") if \(r.condition)") }
    for d in f.diagnostics { print("diagnostic \(d)") }
case "reach":
    // reach PATH...: whether kbuild compiles each file, and the units it belongs to
    for path in args.dropFirst() {
        let units = (model.unitsBySource[path] ?? []).map { "\($0.name)[\($0.configs.joined(separator: ","))]" }
        print("\(path)\tcompiled=\(model.compiledSources.contains(path))\tunits=\(units.joined(separator: " "))")
    }
case "units":
    for u in model.scopedUnits {
        print(
            "\(u.name)\t\(u.config ?? "-")\tconfigs=\(u.configs.joined(separator: ","))\tm=\(u.canBeModule)\ty=\(u.canBeBuiltin)\t\(u.sources.joined(separator: " "))"
        )
    }
case "refs", "allrefs":
    let names = Set(args.dropFirst())
    for u in model.scopedUnits where command == "allrefs" ? u.canBeModule : names.contains(u.name) {
        var declared = Set<String>()
        if showDeclared {
            for path in u.sources + model.headerIndex(for: u.sources).headers {
                guard let f = model.facts(path) else { continue }
                declared.formUnion(f.declarations.map(\.name))
                declared.formUnion(f.definitions.filter { $0.kind != .enumerator }.map(\.name))
            }
        }
        for r in model.resolvedReferences(u) {
            let column =
                showDeclared ? (declared.contains(r.reference.name) ? "\tdeclared" : "\tundeclared") : ""
            print(
                "\(u.name)\t\(r.reference.name)\t\(r.reference.kind)\t\(describe(r.resolution))\t\(r.path):\(r.reference.line)\(column)"
            )
        }
    }
default:
    print("unknown command \(command)")
    exit(2)
}
// Writes the facts scanned in this run to the fact cache (--cache), for the next run.
session.finish()
