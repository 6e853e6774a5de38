import Foundation

/// A MIME `Content-Type` value: `text/plain; charset="utf-8"`.
struct ContentType {
    var mimeType: String
    var parameters: [(name: String, value: String)]

    static let textPlain = ContentType(mimeType: "text/plain", parameters: [])

    func parameter(_ name: String) -> String? { parameters.first { $0.name == name }?.value }

    var isMultipart: Bool { mimeType.hasPrefix("multipart/") }

    /// Parameters are split on `;` outside quotes; names are lowercased, quotes and `\` escapes removed.
    init(_ value: String) {
        var pieces: [String] = []
        var current = ""
        var quoted = false
        var escaped = false
        for c in value {
            if escaped {
                current.append(c)
                escaped = false
            } else if quoted && c == "\\" {
                escaped = true
            } else if c == "\"" {
                quoted.toggle()
            } else if c == ";" && !quoted {
                pieces.append(current)
                current = ""
            } else {
                current.append(c)
            }
        }
        pieces.append(current)
        mimeType = pieces[0].trimmedSpaces.lowercased()
        parameters = pieces.dropFirst().compactMap { piece in
            guard let eq = piece.firstIndex(of: "=") else { return nil }
            let name = piece[..<eq].trimmedSpaces.lowercased()
            let value = piece[piece.index(after: eq)...].trimmedSpaces
            return name.isEmpty ? nil : (name, value)
        }
    }

    init(mimeType: String, parameters: [(name: String, value: String)]) {
        self.mimeType = mimeType
        self.parameters = parameters
    }
}

/// Reads one raw RFC 822 message (a format-patch file, an mbox entry, a public-inbox `m` blob).
public enum MailParser {
    /// Caps that keep hostile mail bounded.
    static let maxParts = 256
    static let maxDepth = 16

    /// Parses `bytes`; throws only when there is no header block at all. Broken MIME, bad
    /// encodings and the like become `diagnostics` on a still-usable message.
    public static func parse(_ bytes: [UInt8], sourceName: String) throws -> MailMessage {
        var start = 0
        var skippedLines = 0
        bytes.withUnsafeBufferPointer { p in
            // An mbox "From " line before the headers belongs to the mbox, not the message.
            if Bytes.hasPrefix(p, at: 0, end: p.count, "From ") {
                start = min(Bytes.lineEnd(p, from: 0, end: p.count) + 1, p.count)
                skippedLines = 1
            }
        }
        var diagnostics: [MailDiagnostic] = []
        let block = bytes.withUnsafeBufferPointer { headerBlock($0, from: start, end: $0.count) }
        guard !block.fields.isEmpty else {
            throw MailParseError(
                source: sourceName, line: 1 + skippedLines,
                reason: "not a mail message: no header block (expected lines like 'Subject: ...')")
        }
        if block.missingBlankLine {
            diagnostics.append(
                MailDiagnostic(
                    source: sourceName, line: Bytes.lineNumber(of: block.bodyStart, in: bytes[...]),
                    message: "the header block does not end with an empty line; the rest is read as the body")
            )
        }
        let headerBytes = Array(bytes[start..<block.headerEnd])
        let fields = block.fields.map {
            HeaderField(
                nameStart: $0.nameStart - start, nameEnd: $0.nameEnd - start,
                valueStart: $0.valueStart - start,
                valueEnd: $0.valueEnd - start)
        }
        let entity = headerBytes.withUnsafeBufferPointer { entityHeaders($0, fields) }
        var decoder = BodyDecoder(message: bytes, sourceName: sourceName)
        decoder.decode(range: block.bodyStart..<bytes.count, entity: entity, depth: 0, topLevel: true)
        diagnostics += decoder.diagnostics
        return MailMessage(
            headerBlock: headerBytes, fields: fields, body: decoder.body, diffRanges: decoder.diffRanges,
            sourceName: sourceName, diagnostics: diagnostics)
    }

    struct HeaderBlock {
        var fields: [HeaderField]
        var headerEnd: Int
        var bodyStart: Int
        var missingBlankLine = false
    }

    /// Header fields of the block starting at `from` (offsets into `p`), where it ends, and where
    /// the body starts. A first line that is not a field means "no header block".
    static func headerBlock(_ p: UnsafeBufferPointer<UInt8>, from: Int, end: Int) -> HeaderBlock {
        var fields: [HeaderField] = []
        var i = from
        while i < end {
            let le = Bytes.lineEnd(p, from: i, end: end)
            var contentEnd = le
            if contentEnd > i && p[contentEnd - 1] == Bytes.cr { contentEnd -= 1 }
            if contentEnd == i {
                return HeaderBlock(fields: fields, headerEnd: i, bodyStart: min(le + 1, end))
            }
            let c = p[i]
            if c == Bytes.space || c == Bytes.tab {
                if !fields.isEmpty {
                    fields[fields.count - 1].valueEnd = contentEnd
                } else if i > from {
                    return HeaderBlock(fields: [], headerEnd: i, bodyStart: i)
                }
                i = le + 1
                continue
            }
            // field-name: printable ASCII but ':'; obsolete syntax allows blanks before the colon.
            var k = i
            while k < contentEnd && p[k] > 0x20 && p[k] < 0x7f && p[k] != Bytes.colon { k += 1 }
            var colon = k
            while colon < contentEnd && (p[colon] == Bytes.space || p[colon] == Bytes.tab) { colon += 1 }
            if k > i && colon < contentEnd && p[colon] == Bytes.colon {
                fields.append(
                    HeaderField(nameStart: i, nameEnd: k, valueStart: colon + 1, valueEnd: contentEnd))
                i = le + 1
                continue
            }
            // mboxo writers leave a quoted ">From " line at the top of some messages.
            if fields.isEmpty && c == 0x3e && Bytes.hasPrefix(p, at: i, end: end, ">From ") {
                i = le + 1
                continue
            }
            var block = HeaderBlock(fields: fields, headerEnd: i, bodyStart: i)
            block.missingBlankLine = !fields.isEmpty
            return block
        }
        return HeaderBlock(fields: fields, headerEnd: end, bodyStart: end)
    }

    struct EntityHeaders {
        var contentType: ContentType?
        var transferEncoding: String?
        var isAttachment = false
    }

    static let nContentType = Array("content-type".utf8)
    static let nTransferEncoding = Array("content-transfer-encoding".utf8)
    static let nDisposition = Array("content-disposition".utf8)

    static func entityHeaders(_ p: UnsafeBufferPointer<UInt8>, _ fields: [HeaderField]) -> EntityHeaders {
        var e = EntityHeaders()
        for f in fields {
            let n = f.nameEnd - f.nameStart
            guard n >= 12, Bytes.lowercased(p[f.nameStart]) == 0x63 else { continue }
            if e.contentType == nil && Bytes.equalsLowercase(p, f.nameStart, f.nameEnd, nContentType) {
                e.contentType = ContentType(MailMessage.value(p, f))
            } else if e.transferEncoding == nil
                && Bytes.equalsLowercase(p, f.nameStart, f.nameEnd, nTransferEncoding)
            {
                e.transferEncoding = MailMessage.value(p, f).trimmedSpaces.lowercased()
            } else if Bytes.equalsLowercase(p, f.nameStart, f.nameEnd, nDisposition) {
                e.isAttachment = MailMessage.value(p, f).lowercased().hasPrefix("attachment")
            }
        }
        return e
    }
}

/// Walks a message's MIME tree, collecting text and diff parts into one body.
struct BodyDecoder {
    let message: [UInt8]
    let sourceName: String
    var body: [UInt8] = []
    var diffRanges: [Range<Int>] = []
    var diagnostics: [MailDiagnostic] = []
    var partCount = 0

    init(message: [UInt8], sourceName: String) {
        self.message = message
        self.sourceName = sourceName
    }

    mutating func diagnose(at offset: Int, _ text: String) {
        diagnostics.append(
            MailDiagnostic(
                source: sourceName, line: Bytes.lineNumber(of: offset, in: message[...]), message: text))
    }

    mutating func decode(range: Range<Int>, entity: MailParser.EntityHeaders, depth: Int, topLevel: Bool) {
        let type = entity.contentType ?? .textPlain
        if type.isMultipart {
            guard depth < MailParser.maxDepth else {
                diagnose(
                    at: range.lowerBound,
                    "MIME parts nested deeper than \(MailParser.maxDepth); inner parts skipped")
                return
            }
            guard let boundary = type.parameter("boundary"), !boundary.isEmpty else {
                diagnose(
                    at: range.lowerBound, "\(type.mimeType) without a boundary parameter; read as plain text")
                append(decodeLeaf(range: range, entity: entity, type: .textPlain), from: range.lowerBound)
                return
            }
            let parts = splitMultipart(range: range, boundary: Array(boundary.utf8))
            for part in parts {
                partCount += 1
                guard partCount <= MailParser.maxParts else {
                    diagnose(
                        at: part.lowerBound, "more than \(MailParser.maxParts) MIME parts; the rest skipped")
                    return
                }
                let (block, partEntity) = message.withUnsafeBufferPointer { p in
                    let block = MailParser.headerBlock(p, from: part.lowerBound, end: part.upperBound)
                    return (block, MailParser.entityHeaders(p, block.fields))
                }
                decode(
                    range: block.bodyStart..<max(block.bodyStart, part.upperBound), entity: partEntity,
                    depth: depth + 1,
                    topLevel: false)
            }
            return
        }
        let mime = type.mimeType
        // Which leaves belong to "the body": text/plain (inline or attached), declared patches,
        // and anything else only when it turns out to be a diff. HTML alternatives and
        // signatures never do.
        let isText = mime == "text/plain" || mime.isEmpty
        let isPatchType =
            mime == "text/x-patch" || mime == "text/x-diff" || mime == "application/x-patch"
            || mime == "application/x-diff" || mime == "text/x-log"
        if !topLevel && !isText && !isPatchType {
            if mime == "text/html" || mime.hasPrefix("image/") || mime.hasSuffix("-signature")
                || mime == "application/pgp-keys" || mime.hasPrefix("message/")
            {
                return
            }
        }
        let decoded = decodeLeaf(range: range, entity: entity, type: type)
        if topLevel || isText || isPatchType || Bytes.containsDiff(decoded) {
            append(decoded, from: range.lowerBound)
        }
    }

    mutating func append(_ decoded: [UInt8], from offset: Int) {
        if !body.isEmpty && body.last != Bytes.lf { body.append(Bytes.lf) }
        let start = body.count
        if body.isEmpty {
            body = decoded  // the common single-part message: no second copy
        } else {
            body += decoded
        }
        if Bytes.containsDiff(decoded) { diffRanges.append(start..<body.count) }
    }

    mutating func decodeLeaf(range: Range<Int>, entity: MailParser.EntityHeaders, type: ContentType)
        -> [UInt8]
    {
        let raw = message[range]
        var decoded: [UInt8]
        switch entity.transferEncoding ?? "7bit" {
        case "quoted-printable":
            decoded = QuotedPrintable.decode(raw)
        case "base64":
            let (bytes, clean) = Base64.decode(raw)
            if !clean { diagnose(at: range.lowerBound, "invalid characters in a base64 body were skipped") }
            decoded = bytes
        case "7bit", "8bit", "binary", "":
            decoded = Array(raw)
        case let other:
            diagnose(at: range.lowerBound, "unknown Content-Transfer-Encoding '\(other)'; body kept as is")
            decoded = Array(raw)
        }
        decoded = Bytes.normalizeNewlines(decoded)
        if type.mimeType.hasPrefix("text/") || type.mimeType.isEmpty {
            decoded = Charset.toUTF8(decoded, charset: type.parameter("charset"))
        }
        return decoded
    }

    /// Part ranges between `--boundary` lines; the line break before a delimiter belongs to it
    /// (RFC 2046 §5.1.1). A missing closing delimiter is reported and the last part runs to the end.
    mutating func splitMultipart(range: Range<Int>, boundary: [UInt8]) -> [Range<Int>] {
        let delimiter = [0x2d, 0x2d] + boundary
        var parts: [Range<Int>] = []
        var partStart: Int?
        var closed = false
        message.withUnsafeBufferPointer { p in
            var i = range.lowerBound
            let end = range.upperBound
            while i < end {
                let le = Bytes.lineEnd(p, from: i, end: end)
                if p[i] == 0x2d && le - i >= delimiter.count
                    && delimiter.indices.allSatisfy({ p[i + $0] == delimiter[$0] })
                {
                    if let s = partStart {
                        var e = i
                        if e > s && p[e - 1] == Bytes.lf { e -= 1 }
                        if e > s && p[e - 1] == Bytes.cr { e -= 1 }
                        parts.append(s..<max(s, e))
                    }
                    let after = i + delimiter.count
                    if after + 1 < end && p[after] == 0x2d && p[after + 1] == 0x2d {
                        closed = true
                        partStart = nil
                        return
                    }
                    partStart = min(le + 1, end)
                }
                i = le + 1
            }
        }
        if let s = partStart { parts.append(s..<range.upperBound) }
        if !closed {
            diagnose(
                at: range.lowerBound,
                parts.isEmpty
                    ? "multipart body without any '--\(String(decoding: boundary, as: UTF8.self))' delimiter"
                    : "multipart body without its closing boundary '--\(String(decoding: boundary, as: UTF8.self))--'"
            )
        }
        if parts.isEmpty && !closed {
            // Nothing recognisable: the raw text is still better than an empty body.
            parts.append(range)
        }
        return parts
    }
}
