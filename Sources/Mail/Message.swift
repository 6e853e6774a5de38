import Foundation

public struct MailHeader: Sendable, Hashable {
    public var name: String
    public var value: String
}

public struct MailDiagnostic: Sendable, Hashable, CustomStringConvertible {
    public var source: String
    public var line: Int?
    public var message: String

    public var description: String {
        line.map { "\(source):\($0): \(message)" } ?? "\(source): \(message)"
    }
}

/// One RFC 822 message as modcheck needs it: headers (unfolded, RFC 2047 decoded), the decoded
/// text body, and the part that holds a diff.
public struct MailMessage: Sendable {
    public var headers: [MailHeader]
    public var body: [UInt8]
    public var sourceName: String
    public var diagnostics: [MailDiagnostic]

    public func header(_ name: String) -> String? {
        headers.first { $0.name.caseInsensitiveCompare(name) == .orderedSame }?.value
    }

    public var subject: String? { header("Subject") }
    public var from: String? { header("From") }
    public var messageID: String? { header("Message-Id").flatMap(MailMessage.angleIDs).flatMap(\.first) }
    public var inReplyTo: String? { header("In-Reply-To").flatMap(MailMessage.angleIDs).flatMap(\.first) }
    public var references: [String] { header("References").map { MailMessage.angleIDs($0) } ?? [] }

    public var date: Date? {
        guard let text = header("Date") else { return nil }
        let f = DateFormatter()
        f.locale = Locale(identifier: "en_US_POSIX")
        for format in [
            "EEE, d MMM yyyy HH:mm:ss Z", "d MMM yyyy HH:mm:ss Z", "EEE, d MMM yyyy HH:mm:ss z",
            "EEE, d MMM yyyy HH:mm Z",
        ] {
            f.dateFormat = format
            let cleaned = text.components(separatedBy: " (").first ?? text
            if let d = f.date(from: cleaned.trimmingCharacters(in: .whitespaces)) { return d }
        }
        return nil
    }

    /// The diff of the message re-assembled as a format-patch-like text, or nil when it has none.
    public var patchText: [UInt8]? {
        guard MailMessage.containsDiff(body) else { return nil }
        var head = ""
        if let from { head += "From: \(from)\n" }
        if let subject { head += "Subject: \(subject)\n" }
        return Array((head + "\n").utf8) + body
    }

    static func containsDiff(_ body: [UInt8]) -> Bool {
        let diff = Array("\ndiff --git ".utf8)
        if body.starts(with: diff.dropFirst()) { return true }
        return find(diff, in: body) != nil
    }

    static func find(_ needle: [UInt8], in hay: [UInt8]) -> Int? {
        guard hay.count >= needle.count, let first = needle.first else { return nil }
        var i = 0
        while i <= hay.count - needle.count {
            if hay[i] == first && hay[i..<(i + needle.count)].elementsEqual(needle) { return i }
            i += 1
        }
        return nil
    }

    /// `<a@b> <c@d>` → ["a@b", "c@d"]; a bare id is accepted too.
    static func angleIDs(_ value: String) -> [String] {
        var ids: [String] = []
        var rest = Substring(value)
        while let open = rest.firstIndex(of: "<"), let close = rest[open...].firstIndex(of: ">") {
            let id = rest[rest.index(after: open)..<close].trimmingCharacters(in: .whitespaces)
            if !id.isEmpty { ids.append(id) }
            rest = rest[rest.index(after: close)...]
        }
        if ids.isEmpty {
            let bare = value.trimmingCharacters(in: .whitespacesAndNewlines)
            if !bare.isEmpty && !bare.contains(" ") { ids.append(bare) }
        }
        return ids
    }
}

public struct MailParseError: Error, CustomStringConvertible {
    public var source: String
    public var line: Int?
    public var reason: String
    public var description: String { line.map { "\(source):\($0): \(reason)" } ?? "\(source): \(reason)" }
}

public enum MailParser {
    /// Caps that keep hostile mail bounded.
    static let maxParts = 256
    static let maxDepth = 16

    public static func parse(_ bytes: [UInt8], sourceName: String) throws -> MailMessage {
        var bytes = bytes
        // An mbox "From " line before the headers belongs to the mbox, not the message.
        if bytes.starts(with: Array("From ".utf8)), let nl = bytes.firstIndex(of: 0x0a) {
            bytes = Array(bytes[(nl + 1)...])
        }
        let (headers, bodyStart) = parseHeaders(bytes)
        guard !headers.isEmpty else {
            throw MailParseError(source: sourceName, line: 1, reason: "no mail headers")
        }
        var diagnostics: [MailDiagnostic] = []
        let body = decodeEntity(
            headers: headers, body: Array(bytes[bodyStart...]), source: sourceName, depth: 0,
            diagnostics: &diagnostics)
        return MailMessage(headers: headers, body: body, sourceName: sourceName, diagnostics: diagnostics)
    }

    /// Unfolded headers and the offset of the body (after the first empty line).
    static func parseHeaders(_ bytes: [UInt8]) -> ([MailHeader], Int) {
        var headers: [MailHeader] = []
        var i = 0
        var current: (String, [UInt8])?
        func flush() {
            if let (name, value) = current {
                headers.append(
                    MailHeader(
                        name: name,
                        value: RFC2047.decode(String(decoding: value, as: UTF8.self)).trimmingCharacters(
                            in: .whitespaces)))
            }
            current = nil
        }
        while i < bytes.count {
            var end = bytes[i...].firstIndex(of: 0x0a) ?? bytes.count
            let next = min(end + 1, bytes.count)
            if end > i && bytes[end - 1] == 0x0d { end -= 1 }
            let line = bytes[i..<end]
            if line.isEmpty {
                flush()
                return (headers, next)
            }
            if line.first == 0x20 || line.first == 0x09 {
                if current != nil { current!.1 += [0x20] + Array(line.drop { $0 == 0x20 || $0 == 0x09 }) }
            } else if let colon = line.firstIndex(of: 0x3a), colon > i, !line[i..<colon].contains(0x20) {
                flush()
                let name = String(decoding: line[i..<colon], as: UTF8.self)
                current = (name, Array(line[(colon + 1)...]))
            } else if headers.isEmpty && current == nil {
                // Not a header block at all (a bare diff).
                return ([], 0)
            }
            i = next
        }
        flush()
        return (headers, bytes.count)
    }

    static func parameter(_ header: String, _ name: String) -> String? {
        for part in header.split(separator: ";").dropFirst() {
            let kv = part.split(separator: "=", maxSplits: 1)
            guard kv.count == 2, kv[0].trimmingCharacters(in: .whitespaces).lowercased() == name else {
                continue
            }
            return kv[1].trimmingCharacters(in: .whitespaces).trimmingCharacters(
                in: CharacterSet(charactersIn: "\""))
        }
        return nil
    }

    static func decodeEntity(
        headers: [MailHeader], body: [UInt8], source: String, depth: Int, diagnostics: inout [MailDiagnostic]
    ) -> [UInt8] {
        func header(_ n: String) -> String? { headers.first { $0.name.lowercased() == n }?.value }
        let contentType = header("content-type") ?? "text/plain"
        let type =
            contentType.split(separator: ";").first.map {
                $0.trimmingCharacters(in: .whitespaces).lowercased()
            } ?? "text/plain"
        if type.hasPrefix("multipart/") {
            guard depth < maxDepth else {
                diagnostics.append(
                    MailDiagnostic(
                        source: source, line: nil,
                        message: "MIME nesting deeper than \(maxDepth); inner parts skipped"))
                return []
            }
            guard let boundary = parameter(contentType, "boundary") else {
                diagnostics.append(
                    MailDiagnostic(source: source, line: nil, message: "multipart message without a boundary")
                )
                return body
            }
            var out: [UInt8] = []
            let parts = splitMultipart(body, boundary: boundary, source: source, diagnostics: &diagnostics)
            for part in parts.prefix(maxParts) {
                let (h, start) = parseHeaders(part)
                let partType =
                    h.first { $0.name.lowercased() == "content-type" }?.value.lowercased() ?? "text/plain"
                let decoded = decodeEntity(
                    headers: h, body: Array(part[min(start, part.count)...]), source: source,
                    depth: depth + 1, diagnostics: &diagnostics)
                let isText =
                    partType.hasPrefix("text/plain") || partType.hasPrefix("text/x-patch")
                    || partType.hasPrefix("text/x-diff")
                    || partType.hasPrefix("multipart/")
                if isText || MailMessage.containsDiff(decoded) {
                    if !out.isEmpty && out.last != 0x0a { out.append(0x0a) }
                    out += decoded
                }
            }
            if parts.count > maxParts {
                diagnostics.append(
                    MailDiagnostic(
                        source: source, line: nil,
                        message: "more than \(maxParts) MIME parts; the rest skipped"))
            }
            return out
        }
        let encoding =
            header("content-transfer-encoding")?.lowercased().trimmingCharacters(in: .whitespaces) ?? "8bit"
        var decoded: [UInt8]
        switch encoding {
        case "quoted-printable": decoded = QuotedPrintable.decode(body)
        case "base64":
            let text = String(decoding: body.filter { $0 != 0x0a && $0 != 0x0d && $0 != 0x20 }, as: UTF8.self)
            if let data = Data(base64Encoded: text, options: .ignoreUnknownCharacters) {
                decoded = [UInt8](data)
            } else {
                diagnostics.append(MailDiagnostic(source: source, line: nil, message: "invalid base64 body"))
                decoded = body
            }
        default: decoded = body
        }
        // Line endings: CRLF → LF, so diffs compare byte-exactly with the tree.
        if decoded.contains(0x0d) { decoded = normalizeNewlines(decoded) }
        let charset = parameter(contentType, "charset")?.lowercased() ?? "utf-8"
        if charset == "iso-8859-1" || charset == "latin1" || charset == "windows-1252"
            || charset == "us-ascii" && decoded.contains(where: { $0 >= 0x80 })
        {
            if String(validating: decoded, as: UTF8.self) == nil {
                decoded = Array(String(decoded.map { Character(UnicodeScalar($0)) }).utf8)
            }
        }
        return decoded
    }

    static func normalizeNewlines(_ b: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(b.count)
        var i = 0
        while i < b.count {
            if b[i] == 0x0d && i + 1 < b.count && b[i + 1] == 0x0a {
                i += 1
                continue
            }
            out.append(b[i])
            i += 1
        }
        return out
    }

    static func splitMultipart(
        _ body: [UInt8], boundary: String, source: String, diagnostics: inout [MailDiagnostic]
    ) -> [[UInt8]] {
        let delimiter = Array(("--" + boundary).utf8)
        var parts: [[UInt8]] = []
        var current: [UInt8]?
        var closed = false
        var i = 0
        while i < body.count {
            var end = body[i...].firstIndex(of: 0x0a) ?? body.count
            let next = min(end + 1, body.count)
            if end > i && body[end - 1] == 0x0d { end -= 1 }
            let line = body[i..<end]
            if line.starts(with: delimiter) {
                if let c = current { parts.append(c) }
                if line.dropFirst(delimiter.count).starts(with: [0x2d, 0x2d]) {
                    closed = true
                    current = nil
                    break
                }
                current = []
            } else if current != nil {
                current! += body[i..<next]
            }
            i = next
        }
        if let c = current { parts.append(c) }
        if !closed {
            diagnostics.append(
                MailDiagnostic(
                    source: source, line: nil, message: "multipart body without its closing boundary"))
        }
        return parts
    }
}

enum QuotedPrintable {
    static func hex(_ b: UInt8) -> UInt8? {
        switch b {
        case 0x30...0x39: return b - 0x30
        case 0x41...0x46: return b - 0x37
        case 0x61...0x66: return b - 0x57
        default: return nil
        }
    }

    static func decode(_ b: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(b.count)
        var i = 0
        while i < b.count {
            if b[i] == 0x3d {
                if i + 1 < b.count && b[i + 1] == 0x0a {
                    i += 2
                    continue
                }
                if i + 2 < b.count && b[i + 1] == 0x0d && b[i + 2] == 0x0a {
                    i += 3
                    continue
                }
                if i + 2 < b.count, let h = hex(b[i + 1]), let l = hex(b[i + 2]) {
                    out.append(h << 4 | l)
                    i += 3
                    continue
                }
            }
            out.append(b[i])
            i += 1
        }
        return out
    }
}

enum RFC2047 {
    /// `=?utf-8?q?...?=` and `=?iso-8859-1?b?...?=` words; whitespace between two encoded words goes.
    static func decode(_ s: String) -> String {
        guard s.contains("=?") else { return s }
        let b = Array(s.utf8)
        let n = b.count
        var out: [UInt8] = []
        var afterLastWord: Int?
        var i = 0
        while i < n {
            if b[i] == 0x3d && i + 1 < n && b[i + 1] == 0x3f,
                let q1 = b[(i + 2)...].firstIndex(of: 0x3f), q1 + 2 < n, b[q1 + 2] == 0x3f,
                let end = findEnd(b, from: q1 + 3)
            {
                if let mark = afterLastWord, out[mark...].allSatisfy({ $0 == 0x20 || $0 == 0x09 }) {
                    out.removeSubrange(mark...)
                }
                let charset = String(decoding: b[(i + 2)..<q1], as: UTF8.self).lowercased()
                let encoding = b[q1 + 1] | 0x20
                let text = Array(b[(q1 + 3)..<end])
                var bytes: [UInt8]
                if encoding == 0x62 {
                    bytes =
                        Data(
                            base64Encoded: String(decoding: text, as: UTF8.self),
                            options: .ignoreUnknownCharacters
                        ).map { [UInt8]($0) } ?? text
                } else {
                    bytes = QuotedPrintable.decode(text.map { $0 == 0x5f ? 0x20 : $0 })
                }
                if charset.hasPrefix("iso-8859") || charset.contains("1252") || charset == "latin1" {
                    bytes = Array(String(bytes.map { Character(UnicodeScalar($0)) }).utf8)
                }
                out += bytes
                i = end + 2
                afterLastWord = out.count
                continue
            }
            out.append(b[i])
            i += 1
        }
        return String(decoding: out, as: UTF8.self)
    }

    static func findEnd(_ b: [UInt8], from: Int) -> Int? {
        var j = from
        while j + 1 < b.count {
            if b[j] == 0x3f && b[j + 1] == 0x3d { return j }
            j += 1
        }
        return nil
    }
}
