import Foundation

/// A `Reviewed-by:`-style trailer given in a reply.
public struct Trailer: Sendable, Hashable {
    /// Canonical spelling: "Reviewed-by", "Acked-by", "Tested-by", "Reported-by", ...
    public var kind: String
    /// "Name <address>" as written.
    public var person: String

    public init(kind: String, person: String) {
        self.kind = kind
        self.person = person
    }
}

/// Reads the trailers reviewers give in replies, as b4 collects them.
public enum TrailerParser {
    /// `*-by:` lines of a reply, skipping quoted (`>`) text and everything after the `-- `
    /// signature marker: a reviewer's tag is what they wrote, not what they quoted.
    public static func trailers(in body: [UInt8]) -> [Trailer] {
        var out: [Trailer] = []
        var i = 0
        let n = body.count
        while i < n {
            var end = i
            while end < n && body[end] != Bytes.lf { end += 1 }
            var lineEnd = end
            if lineEnd > i && body[lineEnd - 1] == Bytes.cr { lineEnd -= 1 }
            defer { i = end + 1 }
            if lineEnd - i == 3 && body[i] == 0x2d && body[i + 1] == 0x2d && body[i + 2] == Bytes.space {
                break
            }
            var s = i
            while s < lineEnd && (body[s] == Bytes.space || body[s] == Bytes.tab) { s += 1 }
            guard s < lineEnd, body[s] != 0x3e else { continue }
            if let t = trailer(body[s..<lineEnd]) { out.append(t) }
        }
        return out
    }

    /// `Kind-by: person` → Trailer; the kind is letters and dashes ending in "-by".
    static func trailer(_ line: ArraySlice<UInt8>) -> Trailer? {
        guard let colon = line.firstIndex(of: Bytes.colon), colon - line.startIndex >= 4,
            colon - line.startIndex < 40
        else { return nil }
        let name = line[line.startIndex..<colon]
        guard name.allSatisfy({ ($0 | 0x20) >= 0x61 && ($0 | 0x20) <= 0x7a || $0 == 0x2d }),
            let first = name.first, first != 0x2d
        else { return nil }
        let kind = String(decoding: name, as: UTF8.self)
        guard kind.lowercased().hasSuffix("-by") else { return nil }
        let person = String(decoding: line[(colon + 1)...], as: UTF8.self).trimmingCharacters(
            in: .whitespaces)
        guard !person.isEmpty else { return nil }
        return Trailer(kind: canonical(kind), person: person)
    }

    /// "reviewed-BY" → "Reviewed-by", the spelling checkpatch and b4 use.
    static func canonical(_ kind: String) -> String {
        let lower = kind.lowercased()
        return lower.prefix(1).uppercased() + lower.dropFirst()
    }
}

/// The 0-day "kernel test robot" (lkp@intel.com) answers patches that break a build; such an
/// answer is the strongest hint a series is not module-safe (e.g. "ERROR: modpost: ... undefined!").
public enum KernelTestRobot {
    /// Mail from the 0-day robot, whatever display name it used ("kbuild test robot" before 2020).
    public static func isRobot(_ message: MailMessage) -> Bool {
        guard let from = message.from?.lowercased() else { return false }
        return from.contains("kernel test robot") || from.contains("lkp@intel.com")
    }

    /// A robot reply that reports a build error (not only warnings).
    public static func isBuildFailureReport(_ message: MailMessage) -> Bool {
        guard isRobot(message) else { return false }
        return message.body.withUnsafeBufferPointer { p in
            for needle in ["error:", "ERROR: modpost:", "undefined!"]
            where Bytes.find(Array(needle.utf8), in: p, from: 0, end: p.count) != nil {
                return true
            }
            return false
        }
    }
}

extension MailMessage {
    /// The `base-commit:` line `git format-patch --base` and b4 write (hex, 7 to 40 digits): the
    /// commit the posting was written against. nil when there is none.
    public var baseCommit: String? {
        lineValue("base-commit:") { value in
            (7...40).contains(value.count) && value.utf8.allSatisfy { $0 >= 0x30 && $0 <= 0x39 || $0 >= 0x61 && $0 <= 0x66 }
        }
    }

    /// The `change-id:` line b4 writes under a cover letter (`20221123-topic-0123456789ab`): the
    /// same for every version of a series, whoever sends it. nil when there is none.
    public var changeID: String? {
        lineValue("change-id:") { value in
            (8...128).contains(value.count) && value.utf8.allSatisfy { $0 > 0x20 && $0 < 0x7f }
        }
    }

    /// The rest of the first body line that starts with `key` and whose value (blanks trimmed)
    /// `valid` accepts.
    func lineValue(_ key: String, valid: (String) -> Bool) -> String? {
        let needle = Array(key.utf8)
        return body.withUnsafeBufferPointer { p -> String? in
            var from = 0
            while let at = Bytes.find(needle, in: p, from: from, end: p.count) {
                from = at + 1
                guard at == 0 || p[at - 1] == Bytes.lf else { continue }
                var i = at + needle.count
                while i < p.count && (p[i] == Bytes.space || p[i] == Bytes.tab) { i += 1 }
                let start = i
                while i < p.count && p[i] != Bytes.lf { i += 1 }
                var end = i
                while end > start && (p[end - 1] == Bytes.space || p[end - 1] == Bytes.tab || p[end - 1] == Bytes.cr) {
                    end -= 1
                }
                let value = String(decoding: UnsafeBufferPointer(rebasing: p[start..<end]), as: UTF8.self)
                if valid(value) { return value }
            }
            return nil
        }
    }
}
