import Foundation
import Rules

/// The JSON contract of DESIGN.md: `{"findings":[...], "summary":{...}}`; absent fields omitted.
public enum JSONRenderer {
    public static func object(_ f: Finding) -> [String: Any] {
        var o: [String: Any] = ["rule": f.rule, "severity": f.severity.rawValue, "message": f.message]
        if let v = f.file { o["file"] = v }
        if let v = f.line { o["line"] = v }
        if let v = f.symbol { o["symbol"] = v }
        if let v = f.module { o["module"] = v }
        if let v = f.config { o["config"] = v }
        if let v = f.commit { o["commit"] = v }
        if let v = f.patch { o["patch"] = v }
        if let v = f.messageId { o["messageId"] = v }
        if let v = f.fixedBy { o["fixedBy"] = v }
        if let v = f.fixedByMessageId { o["fixedByMessageId"] = v }
        if f.partial { o["partial"] = true }
        return o
    }

    public static func summary(_ report: CheckReport) -> [String: Any] {
        var summary: [String: Any] = [
            "errors": report.count(.error), "warnings": report.count(.warning), "infos": report.count(.info),
        ]
        if let tool = ToolIdentity.current { summary["tool"] = tool.json }
        if report.isRegressionMode {
            summary["fixed"] = report.sections.reduce(0) { $0 + $1.fixed.count }
            summary["fixedWithinSeries"] = report.fixedWithinSeries
            summary["steps"] = report.sections.map { section -> [String: Any] in
                var s: [String: Any] = [
                    "introduced": section.findings.count, "fixed": section.fixed.map(object),
                ]
                if let v = section.title { s["subject"] = v }
                if let v = section.commit { s["commit"] = v }
                if let v = section.patch { s["patch"] = v }
                if let v = section.messageId { s["messageId"] = v }
                if let v = section.problem { s["problem"] = v }
                if !section.notes.isEmpty { s["notes"] = section.notes }
                return s
            }
        } else {
            // Files skipped or cut short by a limit, unreadable objects: never silent in JSON either.
            let notes = report.sections.flatMap(\.notes)
            if !notes.isEmpty { summary["notes"] = notes }
        }
        return summary
    }

    public static func encode(_ value: Any) -> String {
        // Written directly (the whole-archive triage report is 4 MB: JSONSerialization took over a
        // second for it); byte for byte what JSONSerialization writes with these options, which
        // still writes what the direct writer does not handle.
        var writer = PrettyJSONWriter()
        if writer.write(value, depth: 0) { return String(decoding: writer.bytes, as: UTF8.self) + "\n" }
        guard
            let data = try? JSONSerialization.data(
                withJSONObject: value, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]),
            let text = String(data: data, encoding: .utf8)
        else { return "{}" }
        return text + "\n"
    }

    static func render(_ report: CheckReport) -> String {
        encode(["findings": report.findings.map(object), "summary": summary(report)])
    }
}

/// JSONSerialization's `[.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]` output for the
/// values reports are made of (strings, Int, Bool, NSNull, arrays, string-keyed dictionaries):
/// two spaces per level, `"key" : value`, an empty container as an opening line, an empty line
/// and its closing line, keys in Foundation's sorted order (numeric, case-insensitive). Any other
/// value: `write` answers false and the caller serializes with Foundation.
struct PrettyJSONWriter {
    var bytes: [UInt8] = []
    /// Sorted key orders, by the key set in code-unit order (report objects repeat a few key sets;
    /// each dictionary lists its keys in an order of its own).
    private var orders: [[String]: [String]] = [:]

    mutating func write(_ value: Any, depth: Int) -> Bool {
        // The types reports are made of, told by their exact type first: a cast that fails (a
        // dictionary tried as a String) bridges the whole value to Foundation on Linux first.
        let exact = Swift.type(of: value)
        if exact == String.self {
            writeString(value as! String)
            return true
        } else if exact == Dictionary<String, Any>.self {
            return object(value as! [String: Any], depth)
        } else if exact == Array<Dictionary<String, Any>>.self {
            return array(value as! [[String: Any]], depth)
        } else if exact == Array<String>.self {
            return array(value as! [String], depth)
        } else if exact == Dictionary<String, String>.self {
            return object(value as! [String: String], depth)
        } else if exact == Array<Dictionary<String, String>>.self {
            return array(value as! [[String: String]], depth)
        }
        switch value {
        case let string as String:
            writeString(string)
        case let bool as Bool where type(of: value) == Bool.self:
            bytes.append(contentsOf: Array((bool ? "true" : "false").utf8))
        case let int as Int where type(of: value) == Int.self:
            bytes.append(contentsOf: Array(String(int).utf8))
        case is NSNull:
            bytes.append(contentsOf: Array("null".utf8))
        case let array as [Any]:
            return self.array(array, depth)
        case let object as [String: Any]:
            return self.object(object, depth)
        default:
            return false
        }
        return true
    }

    private mutating func array<V>(_ array: [V], _ depth: Int) -> Bool {
        container(UInt8(ascii: "["), UInt8(ascii: "]"), depth, array.map { (nil, $0) })
    }

    private mutating func object<V>(_ object: [String: V], _ depth: Int) -> Bool {
        container(UInt8(ascii: "{"), UInt8(ascii: "}"), depth, sortedKeys(Array(object.keys)).map { ($0, object[$0]!) })
    }

    /// An array's or object's members (`key` nil for an array's), one per line, a level deeper.
    private mutating func container(_ open: UInt8, _ close: UInt8, _ depth: Int, _ members: [(key: String?, value: Any)])
        -> Bool
    {
        bytes.append(open)
        bytes.append(UInt8(ascii: "\n"))
        for (i, member) in members.enumerated() {
            if i > 0 {
                bytes.append(UInt8(ascii: ","))
                bytes.append(UInt8(ascii: "\n"))
            }
            indent(depth + 1)
            if let key = member.key {
                writeString(key)
                bytes.append(contentsOf: [UInt8(ascii: " "), UInt8(ascii: ":"), UInt8(ascii: " ")])
            }
            guard write(member.value, depth: depth + 1) else { return false }
        }
        bytes.append(UInt8(ascii: "\n"))
        indent(depth)
        bytes.append(close)
        return true
    }

    private mutating func indent(_ depth: Int) {
        for _ in 0..<(2 * depth) { bytes.append(UInt8(ascii: " ")) }
    }

    private mutating func sortedKeys(_ given: [String]) -> [String] {
        let keys = given.sorted()
        if let known = orders[keys] { return known }
        // The comparison JSONSerialization sorts with.
        let sorted = keys.sorted { a, b in
            a.compare(b, options: [.numeric, .caseInsensitive, .forcedOrdering], range: a.startIndex..<a.endIndex, locale: NSLocale.system)
                == .orderedAscending
        }
        orders[keys] = sorted
        return sorted
    }

    private mutating func writeString(_ string: String) {
        bytes.append(UInt8(ascii: "\""))
        for byte in string.utf8 {
            switch byte {
            case UInt8(ascii: "\""): bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\"")])
            case UInt8(ascii: "\\"): bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\\")])
            case 0x08: bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "b")])
            case 0x0C: bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "f")])
            case 0x0A: bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "n")])
            case 0x0D: bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "r")])
            case 0x09: bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "t")])
            case 0x00..<0x20:
                let hex = Array("0123456789abcdef".utf8)
                bytes.append(contentsOf: Array("\\u00".utf8))
                bytes.append(hex[Int(byte >> 4)])
                bytes.append(hex[Int(byte & 0xF)])
            default: bytes.append(byte)
            }
        }
        bytes.append(UInt8(ascii: "\""))
    }
}
