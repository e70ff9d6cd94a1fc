/// How often something runs: a duration (`30m`, `4h`, `1d`, `2w`; `s` for seconds too) or one of the calendar words
/// `hourly`, `daily`, `weekly`, `monthly` (as systemd spells them). What is due is computed from
/// the run history against `interval`; `monthly` counts as 30 days there.
public struct Cadence: Sendable, Equatable, CustomStringConvertible {
    /// The spelling the file used, kept for `config show` and schedule units.
    public let spelling: String
    public let interval: Duration

    public static let words: [String: Duration] = [
        "hourly": .seconds(3_600), "daily": .seconds(86_400), "weekly": .seconds(7 * 86_400), "monthly": .seconds(30 * 86_400),
    ]

    /// A month, for coverage rules such as "every pack read once a month".
    public static let month: Duration = .seconds(30 * 86_400)

    public init?(_ text: String) {
        if let interval = Cadence.words[text] {
            self.spelling = text
            self.interval = interval
        } else if let interval = Cadence.duration(text) {
            self.spelling = text
            self.interval = interval
        } else {
            return nil
        }
    }

    public static let grammar = "a duration such as 30m, 4h, 1d or 2w, or one of hourly, daily, weekly, monthly"
    public static let durationGrammar = "a number and a unit, one of s, m, h, d, w (30s, 10m, 1h)"

    /// `N` followed by one unit: s (seconds), m (minutes), h (hours), d (days), w (weeks); N ≥ 1.
    public static func duration(_ text: String) -> Duration? {
        guard let unit = text.last, let count = Int(text.dropLast()), count > 0, text.first?.isNumber == true else { return nil }
        let seconds: Int
        switch unit {
        case "s": seconds = 1
        case "m": seconds = 60
        case "h": seconds = 3_600
        case "d": seconds = 86_400
        case "w": seconds = 7 * 86_400
        default: return nil
        }
        let (total, overflow) = count.multipliedReportingOverflow(by: seconds)
        return overflow ? nil : .seconds(total)
    }

    public var description: String { spelling }
}
