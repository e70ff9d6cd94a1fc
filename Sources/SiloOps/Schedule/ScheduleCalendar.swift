import Foundation
import SiloConfig

/// When a schedule unit fires: one of the regular calendar steps both systemd (`OnCalendar=`)
/// and cron can spell, always aligned to the clock (every 15 minutes is :00, :15, :30, :45).
///
/// A cadence maps to the longest step not longer than it. A cadence that is a step (15m, 4h,
/// daily) fires exactly at it; one that is not (90m, 5h, 2d) fires more often (90m → hourly),
/// never less: `silo run` decides from the run history what is due, so an early firing only
/// finds less to do, while a late one would miss the cadence.
public enum ScheduleCalendar: Sendable, Equatable, CustomStringConvertible {
    /// Every N minutes, N dividing 60 (1 … 30).
    case minutes(Int)
    /// Every N hours, N dividing 24 (1 … 12).
    case hours(Int)
    case daily
    case weekly
    case monthly

    /// The steps, shortest first (a step of N minutes or hours must divide the hour or day,
    /// or the clock-aligned firings would not be evenly spaced).
    public static let steps: [ScheduleCalendar] =
        [1, 2, 3, 4, 5, 6, 10, 12, 15, 20, 30].map(ScheduleCalendar.minutes)
        + [1, 2, 3, 4, 6, 8, 12].map(ScheduleCalendar.hours)
        + [.daily, .weekly, .monthly]

    /// The time between two firings (a month at its longest, 31 days, so that a cadence of
    /// 30 days is not mapped to a step that may be 31 days long).
    public var period: Duration {
        switch self {
        case .minutes(let n): return .seconds(n * 60)
        case .hours(let n): return .seconds(n * 3_600)
        case .daily: return .seconds(86_400)
        case .weekly: return .seconds(7 * 86_400)
        case .monthly: return .seconds(31 * 86_400)
        }
    }

    /// The step for a cadence: the calendar words as they are, a duration as the longest step
    /// not longer than it; below a minute, every minute (cron's finest). `monthly` fires on the
    /// 1st, as users of the word expect; due-ness counts it as 30 days, so it must allow for
    /// February (28 days from the 1st to the 1st) or that firing finds nothing due.
    public init(cadence: Cadence) {
        switch cadence.spelling {
        case "hourly": self = .hours(1)
        case "daily": self = .daily
        case "weekly": self = .weekly
        case "monthly": self = .monthly
        default: self = ScheduleCalendar.longestStep(notLongerThan: cadence.interval)
        }
    }

    public static func longestStep(notLongerThan interval: Duration) -> ScheduleCalendar {
        steps.last { $0.period <= interval } ?? .minutes(1)
    }

    /// systemd's `OnCalendar=` expression, in the normalized form `systemd-analyze calendar` prints.
    public var onCalendar: String {
        switch self {
        case .minutes(1): return "*-*-* *:*:00"
        case .minutes(let n): return "*-*-* *:00/\(n):00"
        case .hours(1): return "*-*-* *:00:00"
        case .hours(let n): return "*-*-* 00/\(n):00:00"
        case .daily: return "*-*-* 00:00:00"
        case .weekly: return "Mon *-*-* 00:00:00"
        case .monthly: return "*-*-01 00:00:00"
        }
    }

    /// cron's five time fields: minute, hour, day of month, month, day of week.
    public var cronFields: [String] {
        switch self {
        case .minutes(1): return ["*", "*", "*", "*", "*"]
        case .minutes(let n): return ["*/\(n)", "*", "*", "*", "*"]
        case .hours(1): return ["0", "*", "*", "*", "*"]
        case .hours(let n): return ["0", "*/\(n)", "*", "*", "*"]
        case .daily: return ["0", "0", "*", "*", "*"]
        case .weekly: return ["0", "0", "*", "*", "1"]
        case .monthly: return ["0", "0", "1", "*", "*"]
        }
    }

    /// The step an `OnCalendar=` expression written by `onCalendar` stands for (status reads
    /// it back from an installed timer); nil for anything else.
    public init?(onCalendar: String) {
        guard let step = ScheduleCalendar.steps.first(where: { $0.onCalendar == onCalendar }) else { return nil }
        self = step
    }

    /// The step five cron fields written by `cronFields` stand for; nil for anything else.
    public init?(cronFields: [String]) {
        guard let step = ScheduleCalendar.steps.first(where: { $0.cronFields == cronFields }) else { return nil }
        self = step
    }

    /// `RandomizedDelaySec=`: a tenth of the period, at most 15 minutes, so that many machines
    /// (or timers) on one schedule do not all hit the repository at the same second, while an
    /// every-15-minutes schedule keeps its rhythm.
    public var randomizedDelay: Duration { min(period / 10, .seconds(15 * 60)) }

    /// The first firing strictly after `date`, on `calendar`'s clock (the local one by
    /// default, as systemd and cron use). For `schedule status` without systemd.
    public func nextFiring(after date: Date, calendar: Calendar = Calendar(identifier: .gregorian)) -> Date? {
        func first(matching components: DateComponents) -> Date? {
            calendar.nextDate(after: date, matching: components, matchingPolicy: .nextTime)
        }
        switch self {
        case .minutes(let n):
            var candidate = first(matching: DateComponents(second: 0))
            while let current = candidate, calendar.component(.minute, from: current) % n != 0 {
                candidate = calendar.date(byAdding: .minute, value: 1, to: current)
            }
            return candidate
        case .hours(let n):
            var candidate = first(matching: DateComponents(minute: 0, second: 0))
            while let current = candidate, calendar.component(.hour, from: current) % n != 0 {
                candidate = calendar.nextDate(after: current, matching: DateComponents(minute: 0, second: 0), matchingPolicy: .nextTime)
            }
            return candidate
        case .daily: return first(matching: DateComponents(hour: 0, minute: 0, second: 0))
        case .weekly: return first(matching: DateComponents(hour: 0, minute: 0, second: 0, weekday: 2))
        case .monthly: return first(matching: DateComponents(day: 1, hour: 0, minute: 0, second: 0))
        }
    }

    /// `every 15 minutes`, `every 4 hours`, `daily`: how the step reads in messages.
    public var description: String {
        switch self {
        case .minutes(let n): return n == 1 ? "every minute" : "every \(n) minutes"
        case .hours(let n): return n == 1 ? "hourly" : "every \(n) hours"
        case .daily: return "daily"
        case .weekly: return "weekly"
        case .monthly: return "monthly"
        }
    }
}

/// The cadence a configuration's schedule unit fires at: the shortest of all its cadences
/// (sources, copies, checks, prune), and the key it comes from (for messages).
public struct ScheduleCadence: Sendable, Equatable {
    public let cadence: Cadence
    /// `sources.db.cadence`, `checks.structure`, …
    public let keyPath: String
    public var calendar: ScheduleCalendar { ScheduleCalendar(cadence: cadence) }

    public init(cadence: Cadence, keyPath: String) {
        self.cadence = cadence
        self.keyPath = keyPath
    }

    /// The shortest cadence of `configuration` (the first in file order among equals). One
    /// timer for everything: `silo run` does at each firing only what is due, so firing at
    /// the shortest cadence serves the slower ones too.
    public static func shortest(in configuration: Configuration) -> ScheduleCadence {
        var all = configuration.sources.map { ScheduleCadence(cadence: $0.cadence, keyPath: "sources.\($0.name).cadence") }
        all += configuration.copies.map { ScheduleCadence(cadence: $0.cadence, keyPath: "copies.\($0.name).cadence") }
        all.append(ScheduleCadence(cadence: configuration.checks.structure, keyPath: "checks.structure"))
        all.append(ScheduleCadence(cadence: configuration.checks.readData.cadence, keyPath: "checks.read_data.cadence"))
        all.append(ScheduleCadence(cadence: configuration.retention.prune, keyPath: "retention.prune"))
        // The step decides, not the raw interval: `monthly` (a calendar month) is longer than `30d`.
        return all.enumerated().min { a, b in
            (a.element.calendar.period, a.element.cadence.interval, a.offset) < (b.element.calendar.period, b.element.cadence.interval, b.offset)
        }!.element
    }
}
