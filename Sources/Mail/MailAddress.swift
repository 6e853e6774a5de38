import Foundation

/// Addresses in From/To/Cc values.
public enum MailAddress {
    /// The bare address of `Name <a@x>`, `a@x` or `a@x (Name)`, as written (a value with neither
    /// angle brackets nor `@`: the value, trimmed).
    public static func address(in value: String) -> String {
        let b = Array(value.utf8)
        var start = 0
        var end = b.count
        if let open = b.lastIndex(of: 0x3c), let close = b[open...].firstIndex(of: 0x3e) {
            start = open + 1
            end = close
        } else if let at = b.firstIndex(of: 0x40) {
            // "ann@example.invalid (Ann)": the blank-delimited word holding the '@'.
            start = b[..<at].lastIndex(of: Bytes.space).map { $0 + 1 } ?? 0
            end = b[at...].firstIndex(of: Bytes.space) ?? b.count
        }
        while start < end && b[start] == Bytes.space { start += 1 }
        while end > start && b[end - 1] == Bytes.space { end -= 1 }
        return String(decoding: b[start..<end], as: UTF8.self)
    }

    /// The addresses of a To/Cc value (`A <a@x>, "B, C" <b@y>, c@z` → three), split on commas
    /// outside quotes and angle brackets, each trimmed.
    public static func list(_ value: String) -> [String] {
        var out: [String] = []
        var current = ""
        var quoted = false
        var angle = false
        for c in value {
            switch c {
            case "\"": quoted.toggle()
            case "<": angle = true
            case ">": angle = false
            case "," where !quoted && !angle:
                out.append(current)
                current = ""
                continue
            default: break
            }
            current.append(c)
        }
        out.append(current)
        return out.map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }.filter { !$0.isEmpty }
    }
}
