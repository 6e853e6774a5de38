import Foundation

/// mbox files as `git format-patch --stdout`, `b4 am` and list archives write them.
public enum Mbox {
    /// How body lines beginning with "From " were protected by the writer.
    public enum Quoting: Sendable {
        /// mboxrd (b4, public-inbox, lore): `>*From ` got one more `>`; one is removed again.
        case mboxrd
        /// mboxo (classic): only `From ` became `>From `; `>>From ` is left alone.
        case mboxo
    }

    /// Splits an mbox into raw messages (without their "From " separator lines, quoting undone).
    /// A line starting with "From " begins a message at the start of the file or after an empty
    /// line; elsewhere only when it looks like a real separator (`From sender Day Mon DD HH:MM:SS
    /// YYYY`). An unquoted "From " paragraph of a `git format-patch --stdout` commit message is
    /// not taken for a separator unless a header line follows it. CRLF files work the same.
    public static func split(_ bytes: [UInt8], sourceName: String, quoting: Quoting = .mboxrd) -> (
        messages: [[UInt8]], diagnostics: [MailDiagnostic]
    ) {
        var messages: [[UInt8]] = []
        var diagnostics: [MailDiagnostic] = []
        bytes.withUnsafeBufferPointer { p in
            let end = p.count
            // Pieces of the current message (quoting removal splits it); copied once, at its end.
            var current: [Range<Int>]?
            var segmentStart = 0
            var previousBlank = true
            var i = 0
            var lineNumber = 1
            var messageLine = 0
            var reportedPreamble = false

            func finish(upTo lineStart: Int) {
                guard var pieces = current else { return }
                var stop = lineStart
                // The empty line the writer put before the next separator is not message text.
                if stop - segmentStart >= 2 && p[stop - 1] == Bytes.lf && p[stop - 2] == Bytes.lf {
                    stop -= 1
                } else if stop - segmentStart >= 4 && p[stop - 1] == Bytes.lf && p[stop - 2] == Bytes.cr
                    && p[stop - 3] == Bytes.lf && p[stop - 4] == Bytes.cr
                {
                    stop -= 2
                }
                if segmentStart < stop { pieces.append(segmentStart..<stop) }
                let size = pieces.reduce(0) { $0 + $1.count }
                messages.append(
                    [UInt8](unsafeUninitializedCapacity: size) { out, count in
                        for r in pieces {
                            _ = UnsafeMutableBufferPointer(rebasing: out[count..<(count + r.count)])
                                .initialize(from: UnsafeBufferPointer(rebasing: p[r]))
                            count += r.count
                        }
                    })
                current = nil
            }

            while i < end {
                let le = Bytes.lineEnd(p, from: i, end: end)
                let next = min(le + 1, end)
                let first = p[i]
                if first == 0x46 && Bytes.hasPrefix(p, at: i, end: end, "From ")
                    && isSeparator(p, line: i, lineEnd: le, next: next, end: end, afterBlank: previousBlank)
                {
                    finish(upTo: i)
                    current = []
                    segmentStart = next
                    messageLine = lineNumber
                } else if first == 0x3e && current != nil {
                    var j = i
                    while j < le && p[j] == 0x3e { j += 1 }
                    let depth = j - i
                    if Bytes.hasPrefix(p, at: j, end: end, "From ") && (quoting == .mboxrd || depth == 1) {
                        current?.append(segmentStart..<i)
                        segmentStart = i + 1
                    }
                } else if current == nil && !reportedPreamble
                    && !(le == i || (le == i + 1 && first == Bytes.cr))
                {
                    reportedPreamble = true
                    diagnostics.append(
                        MailDiagnostic(
                            source: sourceName, line: lineNumber,
                            message: "text before the first 'From ' separator line is ignored"))
                }
                previousBlank = le == i || (le == i + 1 && first == Bytes.cr)
                i = next
                lineNumber += 1
            }
            if current != nil {
                if end > 0 && p[end - 1] != Bytes.lf {
                    diagnostics.append(
                        MailDiagnostic(
                            source: "\(sourceName)[\(messages.count + 1)]", line: nil,
                            message:
                                "the last message (from line \(messageLine)) is truncated: the file does not end with a line break"
                        ))
                }
                finish(upTo: end)
            }
        }
        if messages.isEmpty {
            diagnostics.append(
                MailDiagnostic(source: sourceName, line: 1, message: "no 'From ' separator line: not an mbox")
            )
        }
        return (messages, diagnostics)
    }

    /// Whether the "From " line at `line` separates messages.
    static func isSeparator(
        _ p: UnsafeBufferPointer<UInt8>, line: Int, lineEnd: Int, next: Int, end: Int, afterBlank: Bool
    ) -> Bool {
        if looksLikeSeparator(p, line: line, lineEnd: lineEnd) { return true }
        guard afterBlank else { return false }
        // "From someone" after a blank line without a date: a separator only if headers follow.
        return isHeaderLine(p, at: next, end: end)
    }

    /// `From <sender> ... HH:MM...`: a time of day somewhere after the sender.
    static func looksLikeSeparator(_ p: UnsafeBufferPointer<UInt8>, line: Int, lineEnd: Int) -> Bool {
        var k = line + 5
        while k < lineEnd && p[k] != Bytes.space { k += 1 }
        guard k < lineEnd else { return false }
        func digit(_ i: Int) -> Bool { p[i] >= 0x30 && p[i] <= 0x39 }
        while k + 4 < lineEnd {
            if p[k + 2] == Bytes.colon && digit(k) && digit(k + 1) && digit(k + 3) && digit(k + 4) {
                return true
            }
            k += 1
        }
        return false
    }

    static func isHeaderLine(_ p: UnsafeBufferPointer<UInt8>, at i: Int, end: Int) -> Bool {
        var k = i
        while k < end && p[k] > 0x20 && p[k] < 0x7f && p[k] != Bytes.colon { k += 1 }
        return k > i && k < end && p[k] == Bytes.colon
    }

    /// An mbox starts with a "From " separator line ("From: " is a header, not a separator).
    public static func looksLikeMbox(_ bytes: [UInt8]) -> Bool {
        bytes.starts(with: Array("From ".utf8))
    }
}

/// Reads whatever a user hands `modcheck series`: a format-patch file, a raw message, an mbox,
/// or a bare diff (which becomes a message without headers).
public enum PatchInput {
    /// Sniffs `bytes`: mbox (first line "From "), bare diff, else a raw message; `path` names
    /// the messages (`path[n]` inside an mbox) and the diagnostics.
    public static func read(path: String, bytes: [UInt8]) -> (
        messages: [MailMessage], diagnostics: [MailDiagnostic]
    ) {
        var content = bytes[...]
        if content.starts(with: [0xef, 0xbb, 0xbf]) { content = content.dropFirst(3) }
        while let b = content.first, b == Bytes.lf || b == Bytes.cr { content = content.dropFirst() }
        let input = Array(content)
        guard !input.isEmpty else {
            return ([], [MailDiagnostic(source: path, line: nil, message: "empty input")])
        }
        var diagnostics: [MailDiagnostic] = []
        var out: [MailMessage] = []
        if Mbox.looksLikeMbox(input) {
            // git format-patch files start with "From <sha> Mon Sep 17 00:00:00 2001": an mbox of one.
            let (chunks, d) = Mbox.split(input, sourceName: path)
            diagnostics += d
            for (n, chunk) in chunks.enumerated() {
                let name = chunks.count > 1 ? "\(path)[\(n + 1)]" : path
                readOne(chunk, name: name, into: &out, diagnostics: &diagnostics)
            }
        } else {
            readOne(input, name: path, into: &out, diagnostics: &diagnostics)
        }
        return (out, diagnostics)
    }

    static func readOne(
        _ bytes: [UInt8], name: String, into out: inout [MailMessage], diagnostics: inout [MailDiagnostic]
    ) {
        if isBareDiff(bytes) {
            out.append(MailMessage(headers: [], body: Bytes.normalizeNewlines(bytes), sourceName: name))
            return
        }
        do {
            let m = try MailParser.parse(bytes, sourceName: name)
            diagnostics += m.diagnostics
            out.append(m)
        } catch let e as MailParseError {
            // `git show` / `git log -p` output and other header-less text that still holds a diff.
            if Bytes.containsDiff(bytes) {
                diagnostics.append(
                    MailDiagnostic(
                        source: name, line: 1,
                        message: "no mail headers; read as a bare diff without a subject"))
                out.append(MailMessage(headers: [], body: Bytes.normalizeNewlines(bytes), sourceName: name))
            } else {
                diagnostics.append(MailDiagnostic(source: e.source, line: e.line, message: e.reason))
            }
        } catch {
            diagnostics.append(MailDiagnostic(source: name, line: nil, message: "\(error)"))
        }
    }

    static func isBareDiff(_ bytes: [UInt8]) -> Bool {
        for prefix in ["diff --git ", "diff -", "--- ", "Index: "]
        where bytes.starts(with: Array(prefix.utf8)) {
            return true
        }
        return false
    }

    /// A maildir (`cur/` and `new/`, or a plain directory of message files), in file-name order,
    /// which for maildir is delivery order.
    public static func readMaildir(path: String) -> (messages: [MailMessage], diagnostics: [MailDiagnostic]) {
        let fm = FileManager.default
        var files: [String] = []
        var sawMaildir = false
        for sub in ["cur", "new"] {
            let dir = (path as NSString).appendingPathComponent(sub)
            guard let names = try? fm.contentsOfDirectory(atPath: dir) else { continue }
            sawMaildir = true
            files += names.filter { !$0.hasPrefix(".") }.sorted().map {
                (dir as NSString).appendingPathComponent($0)
            }
        }
        if !sawMaildir {
            guard let names = try? fm.contentsOfDirectory(atPath: path) else {
                return ([], [MailDiagnostic(source: path, line: nil, message: "cannot read the directory")])
            }
            files = names.filter { !$0.hasPrefix(".") }.sorted().map {
                (path as NSString).appendingPathComponent($0)
            }
        }
        var messages: [MailMessage] = []
        var diagnostics: [MailDiagnostic] = []
        for file in files {
            var isDir: ObjCBool = false
            guard fm.fileExists(atPath: file, isDirectory: &isDir), !isDir.boolValue else { continue }
            guard let data = fm.contents(atPath: file) else {
                diagnostics.append(MailDiagnostic(source: file, line: nil, message: "cannot read the file"))
                continue
            }
            let read = read(path: file, bytes: [UInt8](data))
            messages += read.messages
            diagnostics += read.diagnostics
        }
        return (messages, diagnostics)
    }
}
