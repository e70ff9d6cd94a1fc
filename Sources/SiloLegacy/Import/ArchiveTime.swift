import Foundation

/// The time an archive was made, from its name: `…_YYYYMMDD_HHMMSS…` (the platform's
/// `o4o_backup_20250129_120000.tar.gz`), or `…YYYYMMDD…` at midnight; local time, as `date`
/// wrote it on the server.
enum ArchiveTime {
    static func fromName(_ name: String, timeZone: TimeZone = .current) -> Date? {
        let patterns = [#"(\d{8})[_T-]?(\d{6})"#, #"(\d{8})"#]
        for pattern in patterns {
            guard let regex = try? NSRegularExpression(pattern: pattern),
                  let match = regex.firstMatch(in: name, range: NSRange(name.startIndex..., in: name)) else { continue }
            let day = String(name[Range(match.range(at: 1), in: name)!])
            let time = match.numberOfRanges > 2 ? String(name[Range(match.range(at: 2), in: name)!]) : "000000"
            let formatter = DateFormatter()
            formatter.locale = Locale(identifier: "en_US_POSIX")
            formatter.timeZone = timeZone
            formatter.dateFormat = "yyyyMMddHHmmss"
            formatter.isLenient = false
            if let date = formatter.date(from: day + time) { return date }
        }
        return nil
    }
}

/// For the CLI: the time an archive's name carries.
public enum LegacyNames {
    public static func time(of name: String) -> Date? { ArchiveTime.fromName(name) }
}
