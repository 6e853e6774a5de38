import Foundation

/// One header field, unfolded and with RFC 2047 encoded words decoded.
public struct MailHeader: Sendable, Hashable {
    public var name: String
    public var value: String

    public init(name: String, value: String) {
        self.name = name
        self.value = value
    }
}

/// A problem found while reading mail: where (file, mbox index, line) and what.
public struct MailDiagnostic: Sendable, Hashable, CustomStringConvertible {
    public var source: String
    public var line: Int?
    public var message: String

    public init(source: String, line: Int?, message: String) {
        self.source = source
        self.line = line
        self.message = message
    }

    public var description: String {
        line.map { "\(source):\($0): \(message)" } ?? "\(source): \(message)"
    }
}

/// Thrown when bytes are not a mail message at all (no header block).
public struct MailParseError: Error, Sendable, CustomStringConvertible {
    public var source: String
    public var line: Int?
    public var reason: String

    public init(source: String, line: Int?, reason: String) {
        self.source = source
        self.line = line
        self.reason = reason
    }

    public var description: String { line.map { "\(source):\($0): \(reason)" } ?? "\(source): \(reason)" }
}

/// Byte offsets of one header field inside `MailMessage.headerBlock`; the value may span folded lines.
struct HeaderField: Sendable {
    var nameStart: Int
    var nameEnd: Int
    var valueStart: Int
    var valueEnd: Int
}

/// One RFC 822 message as modcheck needs it: the threading headers, the decoded text body, and
/// the part of it that holds a diff.
public struct MailMessage: Sendable {
    /// The raw header block; only the threading fields are decoded up front because list archives
    /// carry dozens of Received/DKIM/ARC fields nobody reads.
    let headerBlock: [UInt8]
    let fields: [HeaderField]
    /// Decoded text: the text/plain part(s) and any attached diff, in order, UTF-8 where the
    /// charset is known, LF line endings.
    public let body: [UInt8]
    /// File name, with `[n]` for the n-th message of an mbox, for messages to the user.
    public var sourceName: String
    /// Problems met while decoding (broken MIME, bad base64...); the message is still usable.
    public var diagnostics: [MailDiagnostic]
    /// `Subject:` unfolded and decoded, tags included.
    public let subject: String?
    public let from: String?
    /// Message-Id without the angle brackets.
    public let messageID: String?
    public let inReplyTo: String?
    /// References, oldest first, without the angle brackets.
    public let references: [String]
    let dateText: String?
    /// Ranges of `body` that came from parts holding a diff.
    let diffRanges: [Range<Int>]

    init(
        headerBlock: [UInt8], fields: [HeaderField], body: [UInt8], diffRanges: [Range<Int>],
        sourceName: String,
        diagnostics: [MailDiagnostic]
    ) {
        self.headerBlock = headerBlock
        self.fields = fields
        self.body = body
        self.diffRanges = diffRanges
        self.sourceName = sourceName
        self.diagnostics = diagnostics
        var subject: String?
        var from: String?
        var messageID: String?
        var inReplyTo: String?
        var references: [String] = []
        var dateText: String?
        headerBlock.withUnsafeBufferPointer { p in
            for f in fields {
                // Dispatch on the name's length first: most fields are none of these.
                switch f.nameEnd - f.nameStart {
                case 4:
                    if from == nil && Bytes.equalsLowercase(p, f.nameStart, f.nameEnd, MailMessage.nFrom) {
                        from = MailMessage.value(p, f)
                    } else if dateText == nil
                        && Bytes.equalsLowercase(p, f.nameStart, f.nameEnd, MailMessage.nDate)
                    {
                        dateText = MailMessage.value(p, f)
                    }
                case 7:
                    if subject == nil
                        && Bytes.equalsLowercase(p, f.nameStart, f.nameEnd, MailMessage.nSubject)
                    {
                        subject = MailMessage.value(p, f)
                    }
                case 10:
                    if messageID == nil
                        && Bytes.equalsLowercase(p, f.nameStart, f.nameEnd, MailMessage.nMessageID)
                    {
                        messageID = MailMessage.messageIDs(MailMessage.rawValue(p, f)).first
                    } else if references.isEmpty
                        && Bytes.equalsLowercase(p, f.nameStart, f.nameEnd, MailMessage.nReferences)
                    {
                        references = MailMessage.messageIDs(MailMessage.rawValue(p, f))
                    }
                case 11:
                    if inReplyTo == nil
                        && Bytes.equalsLowercase(p, f.nameStart, f.nameEnd, MailMessage.nInReplyTo)
                    {
                        inReplyTo = MailMessage.messageIDs(MailMessage.rawValue(p, f)).first
                    }
                default: break
                }
            }
        }
        self.subject = subject
        self.from = from
        self.messageID = messageID
        self.inReplyTo = inReplyTo
        self.references = references
        self.dateText = dateText
    }

    /// A message built from already decoded parts (a bare diff, a commit turned into a patch).
    public init(headers: [MailHeader], body: [UInt8], sourceName: String, diagnostics: [MailDiagnostic] = [])
    {
        var block: [UInt8] = []
        var fields: [HeaderField] = []
        for h in headers {
            let nameStart = block.count
            block += Array(h.name.utf8)
            let nameEnd = block.count
            block += [Bytes.colon, Bytes.space]
            let valueStart = block.count
            block += Array(h.value.utf8)
            fields.append(
                HeaderField(
                    nameStart: nameStart, nameEnd: nameEnd, valueStart: valueStart, valueEnd: block.count))
            block.append(Bytes.lf)
        }
        self.init(
            headerBlock: block, fields: fields, body: body,
            diffRanges: Bytes.containsDiff(body) ? [0..<body.count] : [], sourceName: sourceName,
            diagnostics: diagnostics)
    }

    /// All header fields in order, decoded (done on demand; the threading fields are properties).
    public var headers: [MailHeader] {
        headerBlock.withUnsafeBufferPointer { p in
            fields.map { f in
                MailHeader(
                    name: String(
                        decoding: UnsafeBufferPointer(rebasing: p[f.nameStart..<f.nameEnd]), as: UTF8.self),
                    value: MailMessage.value(p, f))
            }
        }
    }

    /// The first field called `name` (ASCII case-insensitive), decoded.
    public func header(_ name: String) -> String? {
        let lower = Array(name.lowercased().utf8)
        return headerBlock.withUnsafeBufferPointer { p in
            fields.first { Bytes.equalsLowercase(p, $0.nameStart, $0.nameEnd, lower) }.map {
                MailMessage.value(p, $0)
            }
        }
    }

    /// Every field called `name`, in order (e.g. all `Cc:` lines).
    public func headers(named name: String) -> [String] {
        let lower = Array(name.lowercased().utf8)
        return headerBlock.withUnsafeBufferPointer { p in
            fields.filter { Bytes.equalsLowercase(p, $0.nameStart, $0.nameEnd, lower) }.map {
                MailMessage.value(p, $0)
            }
        }
    }

    /// `Date:`, nil when absent or unreadable.
    public var date: Date? { dateText.flatMap(MailDate.parse) }

    /// Whether the message carries a diff (inline or attached).
    public var hasDiff: Bool { !diffRanges.isEmpty }

    /// The diff-bearing part(s) re-assembled as a format-patch-like text ("From:", "Subject:",
    /// blank line, body) for libgit2's `git_diff_from_buffer`; nil when the message has no diff.
    public var patchText: [UInt8]? {
        guard !diffRanges.isEmpty else { return nil }
        var out: [UInt8] = []
        if let from { out += Array("From: \(from)\n".utf8) }
        if let subject { out += Array("Subject: \(subject)\n".utf8) }
        out.append(Bytes.lf)
        for r in diffRanges {
            if let last = out.last, last != Bytes.lf { out.append(Bytes.lf) }
            out += body[r]
        }
        return out
    }

    /// The sender's address, lowercased (`Will Deacon <will@kernel.org>` → `will@kernel.org`);
    /// display names change between postings, addresses rarely do.
    public var senderAddress: String? {
        from.map { String(decoding: MailAddress.address(in: $0).utf8.map(Bytes.lowercased), as: UTF8.self) }
    }

    /// The To and Cc addresses, each as written ("Name <a@x>").
    public var recipients: [String] {
        (headers(named: "to") + headers(named: "cc")).flatMap(MailAddress.list)
    }

    static let nFrom = Array("from".utf8)
    static let nDate = Array("date".utf8)
    static let nSubject = Array("subject".utf8)
    static let nMessageID = Array("message-id".utf8)
    static let nReferences = Array("references".utf8)
    static let nInReplyTo = Array("in-reply-to".utf8)

    /// The field's value unfolded (each line break plus the blanks after it becomes one space),
    /// trimmed, not yet RFC 2047 decoded.
    static func rawValue(_ p: UnsafeBufferPointer<UInt8>, _ f: HeaderField) -> [UInt8] {
        var start = f.valueStart
        var end = f.valueEnd
        while start < end && (p[start] == Bytes.space || p[start] == Bytes.tab) { start += 1 }
        while end > start && (p[end - 1] == Bytes.space || p[end - 1] == Bytes.tab || p[end - 1] == Bytes.cr)
        {
            end -= 1
        }
        var out: [UInt8] = []
        out.reserveCapacity(end - start)
        var i = start
        while i < end {
            let b = p[i]
            if b == Bytes.cr || b == Bytes.lf {
                while i < end
                    && (p[i] == Bytes.cr || p[i] == Bytes.lf || p[i] == Bytes.space || p[i] == Bytes.tab)
                {
                    i += 1
                }
                out.append(Bytes.space)
                continue
            }
            out.append(b)
            i += 1
        }
        return out
    }

    /// The field's value unfolded and decoded; raw 8-bit values that are not UTF-8 are read as
    /// Windows-1252 rather than turned into replacement characters.
    static func value(_ p: UnsafeBufferPointer<UInt8>, _ f: HeaderField) -> String {
        var raw = rawValue(p, f)
        if raw.contains(where: { $0 >= 0x80 }) { raw = Charset.toUTF8(raw, charset: "utf-8") }
        var hasWord = false
        if raw.count > 1 {
            for k in 0..<(raw.count - 1) where raw[k] == 0x3d && raw[k + 1] == 0x3f {
                hasWord = true
                break
            }
        }
        if hasWord { raw = EncodedWords.decode(raw) }
        return String(decoding: raw, as: UTF8.self)
    }

    /// `<a@b> <c@d>` → ["a@b", "c@d"]; a bare id (no brackets) is accepted too.
    static func messageIDs(_ value: [UInt8]) -> [String] {
        var ids: [String] = []
        var i = 0
        while i < value.count {
            if value[i] == 0x3c {
                var j = i + 1
                while j < value.count && value[j] != 0x3e { j += 1 }
                guard j < value.count else { break }
                var s = i + 1
                var e = j
                while s < e && value[s] == Bytes.space { s += 1 }
                while e > s && value[e - 1] == Bytes.space { e -= 1 }
                if e > s { ids.append(String(decoding: value[s..<e], as: UTF8.self)) }
                i = j + 1
                continue
            }
            i += 1
        }
        if ids.isEmpty, !value.isEmpty, !value.contains(Bytes.space), value.contains(0x40) {
            ids.append(String(decoding: value, as: UTF8.self))
        }
        return ids
    }
}
