import Rules

/// One step of a check: a whole tree (`tree`), one patch of a series, or one commit of a range.
public struct CheckSection: Sendable {
    public var title: String?
    public var commit: String?
    public var patch: String?
    public var messageId: String?
    /// Findings present here and absent before (or all findings, in `tree` mode).
    public var findings: [Finding]
    /// Findings present before and gone here (regression modes only).
    public var fixed: [Finding]
    /// Facts about the step worth telling: offsets used to apply a patch, patch-local checking.
    public var notes: [String]
    /// Why the step could not be checked fully (a patch that does not apply, a missing object).
    public var problem: String?

    public init(
        title: String? = nil, commit: String? = nil, patch: String? = nil, messageId: String? = nil,
        findings: [Finding], fixed: [Finding] = [], notes: [String] = [], problem: String? = nil
    ) {
        self.title = title
        self.commit = commit
        self.patch = patch
        self.messageId = messageId
        self.findings = findings.sortedForReport()
        self.fixed = fixed.sortedForReport()
        self.notes = notes
        self.problem = problem
    }
}

/// Everything a subcommand found, ready for any renderer.
public struct CheckReport: Sendable {
    public var sections: [CheckSection]
    /// Whether findings are differences (series, log, hook) or the state of one tree.
    public var isRegressionMode: Bool

    public init(sections: [CheckSection], isRegressionMode: Bool) {
        self.sections = sections
        self.isRegressionMode = isRegressionMode
    }

    /// Every reported finding, each stamped with the commit / patch / Message-Id it belongs to.
    public var findings: [Finding] {
        sections.flatMap { section in
            section.findings.map { finding in
                var f = finding
                f.commit = f.commit ?? section.commit
                f.patch = f.patch ?? section.patch
                f.messageId = f.messageId ?? section.messageId
                return f
            }
        }
    }

    /// Findings a later patch of the series does not fix: what the series as a whole leaves.
    public var openFindings: [Finding] { findings.filter { $0.fixedBy == nil } }

    /// Open findings of a severity (those fixed later in the series are not counted).
    public func count(_ severity: Severity) -> Int { openFindings.filter { $0.severity == severity }.count }

    /// Findings introduced and fixed again within the series.
    public var fixedWithinSeries: Int { findings.filter { $0.fixedBy != nil }.count }

    /// 0: no open error-level findings; 1: at least one (introduced ones, in regression modes).
    public var exitCode: Int32 { count(.error) > 0 ? 1 : 0 }
}

public enum ReportFormat: String, Sendable, CaseIterable {
    case text, json, sarif, markdown
    /// patchwork checks, one JSON line per patch (series, log, triage).
    case patchwork
}

public enum ReportRenderer {
    public static func render(
        _ report: CheckReport, format: ReportFormat, catalog: RuleCatalog?, verbose: Bool = false
    ) -> String {
        switch format {
        case .text: TextRenderer.render(report, verbose: verbose)
        case .json: JSONRenderer.render(report)
        case .sarif: SARIFRenderer.render(report, catalog: catalog)
        case .markdown: MarkdownRenderer.render(report)
        case .patchwork: PatchworkRenderer.render(report)
        }
    }
}
