import Facts
import Foundation
import Kconfig
import Model
import Report
import Rules

/// A concrete `.config` given with `--config`.
public struct DotConfigFile: Sendable {
    public var path: String
    public var config: DotConfig

    public static func load(_ path: String) throws -> DotConfigFile {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw InputError("\(path): cannot read the .config file")
        }
        let text = String(decoding: data, as: UTF8.self)
        let config = DotConfig.parse(text)
        if let problem = config.diagnostics.first {
            throw InputError("\(path):\(problem.line): \(problem.message)")
        }
        return DotConfigFile(path: path, config: config)
    }
}

/// `modcheck tree`: the findings of one revision.
public enum TreeCheck {
    public static func run(session: Session, revision: String) throws -> CheckReport {
        let tree = try session.tree(at: revision)
        let model = session.model(of: tree)
        let findings = session.engine.check(CheckContext(model: model))
        var notes = Session.capped(model.problems)
        notes += Session.capped(session.factNotes)
        session.finish()
        let units = model.scopedUnits
        notes.insert(
            "scope \(session.options.scope.joined(separator: ", ")): \(units.count) units, \(units.filter(\.canBeModule).count) possibly modular",
            at: 0)
        return CheckReport(
            sections: [CheckSection(title: nil, commit: nil, findings: findings, notes: notes)],
            isRegressionMode: false)
    }
}
