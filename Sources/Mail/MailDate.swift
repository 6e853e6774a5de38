import Foundation

/// RFC 5322 `Date:` values (`Wed, 30 Oct 2019 14:51:06 +0000 (UTC)`), parsed by hand: a
/// DateFormatter per message would dominate the cost of reading an archive.
enum MailDate {
    static let months = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]

    static func parse(_ text: String) -> Date? {
        // Tokens without the day name and comments: ["30", "Oct", "2019", "14:51:06", "+0000"].
        var cleaned = text
        if let paren = cleaned.firstIndex(of: "(") { cleaned = String(cleaned[..<paren]) }
        var tokens = cleaned.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "," }).map(String.init)
        if let first = tokens.first, first.first?.isLetter == true { tokens.removeFirst() }
        guard tokens.count >= 4 else { return nil }
        var day = Int(tokens[0])
        var monthToken = tokens[1]
        // "Oct 30 14:51:06 2019"-like asctime order shows up from broken clients.
        if day == nil, let d = Int(tokens[1]) {
            day = d
            monthToken = tokens[0]
        }
        guard let day, (1...31).contains(day),
            let month = months.firstIndex(of: String(monthToken.prefix(3)).lowercased()).map({ $0 + 1 }),
            var year = Int(tokens[2])
        else { return nil }
        // A hostile or mangled year ("22222222222222019", found by the fuzzer) overflowed the
        // day arithmetic; no list message comes from outside four-digit years.
        guard (0...9999).contains(year) else { return nil }
        if year < 50 {
            year += 2000
        } else if year < 1000 {
            year += 1900
        }
        let time = tokens[3].split(separator: ":").compactMap { Int($0) }
        guard time.count >= 2, (0...23).contains(time[0]), (0...59).contains(time[1]) else { return nil }
        let seconds = time.count > 2 ? min(time[2], 60) : 0
        var offset = 0
        if tokens.count > 4 { offset = zoneOffset(tokens[4]) }
        let days = daysFromCivil(year: year, month: month, day: day)
        let t = days * 86400 + time[0] * 3600 + time[1] * 60 + seconds - offset
        return Date(timeIntervalSince1970: TimeInterval(t))
    }

    /// Seconds east of UTC; unknown zone names count as UTC (RFC 5322 §4.3).
    static func zoneOffset(_ z: String) -> Int {
        if let sign = z.first, sign == "+" || sign == "-", z.count >= 5, let v = Int(z.dropFirst().prefix(4))
        {
            let s = (v / 100) * 3600 + (v % 100) * 60
            return sign == "-" ? -s : s
        }
        switch z.uppercased() {
        case "EST": return -5 * 3600
        case "EDT": return -4 * 3600
        case "CST": return -6 * 3600
        case "CDT": return -5 * 3600
        case "MST": return -7 * 3600
        case "MDT": return -6 * 3600
        case "PST": return -8 * 3600
        case "PDT": return -7 * 3600
        default: return 0
        }
    }

    /// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
    static func daysFromCivil(year: Int, month: Int, day: Int) -> Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let mp = (month + 9) % 12
        let doy = (153 * mp + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146097 + doe - 719468
    }
}
