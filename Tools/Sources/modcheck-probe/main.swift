import Facts
import Foundation
import Kconfig
import Model
import Workflows

// modcheck-probe --repo DIR --rev REV [--scope P]... COMMAND ARGS
//   range SYM [A=m ...]      the evaluator's range of SYM with the assumptions
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
