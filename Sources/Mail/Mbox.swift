/// mbox files as `git format-patch --stdout`, `b4 am` and list archives write them: a line starting
/// with "From " after a blank line (or at the start) begins a message; mboxrd `>From ` quoting
/// (and mboxo's) is undone.
public enum Mbox {
    public static func split(_ bytes: [UInt8], sourceName: String) -> (
        messages: [[UInt8]], diagnostics: [MailDiagnostic]
    ) {
        var messages: [[UInt8]] = []
        var current: [UInt8]?
        var previousBlank = true
        var i = 0
        let from = Array("From ".utf8)
        while i < bytes.count {
            let end = bytes[i...].firstIndex(of: 0x0a) ?? bytes.count
            let next = min(end + 1, bytes.count)
            var line = bytes[i..<next]
            if line.starts(with: from) && (previousBlank || current == nil || Mbox.looksLikeSeparator(line)) {
                if let c = current { messages.append(c) }
                current = []
            } else if current != nil {
                // >From, >>From ...: drop one '>'.
                var j = line.startIndex
                while j < line.endIndex && line[j] == 0x3e { j += 1 }
                if j > line.startIndex && line[j...].starts(with: from) { line = line.dropFirst() }
                current! += line
            }
            let content = bytes[i..<end]
            previousBlank = content.isEmpty || content == [0x0d]
            i = next
        }
        if let c = current { messages.append(c) }
        var diagnostics: [MailDiagnostic] = []
        if messages.isEmpty {
            diagnostics.append(
                MailDiagnostic(source: sourceName, line: 1, message: "no 'From ' separator: not an mbox"))
        }
        return (messages, diagnostics)
    }

    /// `From sender Thu Jan  1 00:00:00 1970`: a separator even without the blank line before it
    /// (writers that forget it exist); a body line would have been quoted as `>From `.
    static func looksLikeSeparator(_ line: ArraySlice<UInt8>) -> Bool {
        let text = String(decoding: line, as: UTF8.self)
        let parts = text.split(separator: " ", omittingEmptySubsequences: true)
        guard parts.count >= 3 else { return false }
        return parts.contains { p in
            let c = Array(p.utf8)
            return c.count >= 8 && c[2] == 0x3a && c[5] == 0x3a
                && c.prefix(2).allSatisfy { $0 >= 0x30 && $0 <= 0x39 }
        }
    }

    public static func looksLikeMbox(_ bytes: [UInt8]) -> Bool {
        bytes.starts(with: Array("From ".utf8)) && !bytes.starts(with: Array("From: ".utf8))
    }
}

/// Reads whatever a user hands `modcheck series`: a format-patch file, a raw message, an mbox, or a bare diff.
public enum PatchInput {
    public static func read(path: String, bytes: [UInt8]) -> (
        messages: [MailMessage], diagnostics: [MailDiagnostic]
    ) {
        var diagnostics: [MailDiagnostic] = []
        var chunks: [(String, [UInt8])] = []
        // git format-patch files also start with "From <sha> Mon Sep 17 00:00:00 2001": one message.
        if Mbox.looksLikeMbox(bytes) {
            let (messages, d) = Mbox.split(bytes, sourceName: path)
            diagnostics += d
            chunks = messages.enumerated().map {
                (messages.count > 1 ? "\(path)[\($0.offset + 1)]" : path, $0.element)
            }
        } else {
            chunks = [(path, bytes)]
        }
        var out: [MailMessage] = []
        for (name, chunk) in chunks {
            if chunk.starts(with: Array("diff --git ".utf8)) || chunk.starts(with: Array("--- ".utf8))
                || chunk.starts(with: Array("Index: ".utf8))
            {
                out.append(MailMessage(headers: [], body: chunk, sourceName: name, diagnostics: []))
                continue
            }
            do {
                let m = try MailParser.parse(chunk, sourceName: name)
                diagnostics += m.diagnostics
                out.append(m)
            } catch let e as MailParseError {
                diagnostics.append(MailDiagnostic(source: e.source, line: e.line, message: e.reason))
            } catch {
                diagnostics.append(MailDiagnostic(source: name, line: nil, message: "\(error)"))
            }
        }
        return (out, diagnostics)
    }
}
