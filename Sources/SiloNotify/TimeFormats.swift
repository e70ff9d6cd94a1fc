import Foundation

/// The two ways notifications write a moment: RFC 3339 in UTC for machines (webhook JSON, the
/// text of messages), RFC 5322 for an e-mail's Date header. Fixed POSIX locale, so a server's
/// language never changes a month's name.
enum TimeFormats {
    static func rfc3339(_ date: Date) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime]
        formatter.timeZone = TimeZone(identifier: "UTC")
        return formatter.string(from: date)
    }

    /// "Tue, 05 Mar 2024 14:03:00 +0000".
    static func rfc5322(_ date: Date) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss '+0000'"
        return formatter.string(from: date)
    }
}
