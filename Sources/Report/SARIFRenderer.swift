import Rules

/// SARIF 2.1.0, the format code-scanning services ingest.
enum SARIFRenderer {
    static let schema = "https://json.schemastore.org/sarif-2.1.0.json"

    static func level(_ s: Severity) -> String {
        switch s {
        case .error: "error"
        case .warning: "warning"
        case .info: "note"
        }
    }

    static func render(_ report: CheckReport, catalog: RuleCatalog?) -> String {
        let rules: [[String: Any]] = (catalog?.rules ?? []).map { rule in
            [
                "id": rule.id, "name": rule.id, "shortDescription": ["text": rule.title],
                "fullDescription": ["text": rule.summary],
                "help": ["text": "\(rule.why)\n\nFix: \(rule.fix)"],
                "defaultConfiguration": ["level": level(rule.severity)],
            ]
        }
        let results: [[String: Any]] = report.findings.map { f in
            var result: [String: Any] = [
                "ruleId": f.rule, "level": level(f.severity), "message": ["text": f.message],
                "partialFingerprints": [
                    "modcheckIdentity/v1": [f.rule, f.module ?? f.file ?? "", f.symbol ?? ""].joined(
                        separator: "|")
                ],
            ]
            if let file = f.file {
                var physical: [String: Any] = ["artifactLocation": ["uri": file]]
                if let line = f.line, line > 0 { physical["region"] = ["startLine": line] }
                result["locations"] = [["physicalLocation": physical]]
            }
            var properties: [String: Any] = [:]
            if let v = f.module { properties["module"] = v }
            if let v = f.symbol { properties["symbol"] = v }
            if let v = f.config { properties["config"] = v }
            if let v = f.commit { properties["commit"] = v }
            if let v = f.patch { properties["patch"] = v }
            if let v = f.messageId { properties["messageId"] = v }
            if let v = f.fixedBy { properties["fixedBy"] = v }
            if let v = f.fixedByMessageId { properties["fixedByMessageId"] = v }
            if !properties.isEmpty { result["properties"] = properties }
            return result
        }
        let log: [String: Any] = [
            "$schema": schema, "version": "2.1.0",
            "runs": [
                [
                    "tool": [
                        "driver": [
                            "name": "modcheck", "informationUri": "https://example.invalid/modcheck",
                            "version": ToolIdentity.current?.modcheck ?? ToolIdentity.modcheckVersion,
                            "semanticVersion": ToolIdentity.current?.modcheck ?? ToolIdentity.modcheckVersion,
                            "properties": (ToolIdentity.current?.json ?? [:]) as [String: Any],
                            "rules": rules,
                        ]
                    ],
                    "results": results,
                    // Notes (skipped files, limits hit, unreadable objects) as SARIF tool notifications.
                    "invocations": [
                        [
                            "executionSuccessful": true,
                            "toolExecutionNotifications": report.sections.flatMap(\.notes).map {
                                ["level": "note", "message": ["text": $0]]
                            },
                        ]
                    ],
                ]
            ],
        ]
        return JSONRenderer.encode(log)
    }
}
