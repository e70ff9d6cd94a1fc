import Foundation
import SiloConfig

/// Whether one piece of work is due, and why: decided from the run history (when that work
/// last succeeded), never from the wall clock alone. A run that starts late (the machine was
/// off at 02:00) finds the work overdue and does it; a prune or check that is due runs once,
/// and is not due again until its cadence has passed since that success.
public struct Due: Sendable, Equatable {
    public let isDue: Bool
    /// For the plan and `--dry-run`: "never done", "last done 4h 2m ago (every 4h)", "next in 1h 10m".
    public let reason: String
    /// When it will be due (nil: it is due now, or never ran).
    public let next: Date?

    public static func named(_ reason: String) -> Due { Due(isDue: true, reason: reason, next: nil) }
    public static func notNow(_ reason: String) -> Due { Due(isDue: false, reason: reason, next: nil) }

    /// Work is taken as due a little early: a timer with a randomized delay fires a few
    /// minutes either side of the cadence, and waiting for the exact interval would push the
    /// work to the next firing, a whole cadence late. The slack is a quarter of the cadence,
    /// at most 30 minutes (a 4h backup is due 3h30m after the last one started).
    public static func slack(_ cadence: Cadence) -> TimeInterval {
        min(Double(cadence.interval.components.seconds) / 4, 1_800)
    }

    /// Due when it never succeeded, or when `cadence` (less the slack) has passed since the
    /// start of its last success.
    public static func decide(lastSuccess: Date?, cadence: Cadence, now: Date) -> Due {
        guard let lastSuccess else { return Due(isDue: true, reason: "never done", next: nil) }
        let interval = Double(cadence.interval.components.seconds)
        let elapsed = now.timeIntervalSince(lastSuccess)
        let dueAt = lastSuccess.addingTimeInterval(interval - slack(cadence))
        if now >= dueAt {
            return Due(isDue: true, reason: "last done \(Self.span(elapsed)) ago (cadence \(cadence))", next: nil)
        }
        return Due(isDue: false, reason: "last done \(Self.span(elapsed)) ago (cadence \(cadence)); due in \(Self.span(dueAt.timeIntervalSince(now)))",
                   next: dueAt)
    }

    /// `2d 3h`, `4h 2m`, `12m`, `40s`: two units at most.
    static func span(_ seconds: TimeInterval) -> String {
        let total = max(0, Int(seconds.rounded()))
        let days = total / 86_400, hours = total % 86_400 / 3_600, minutes = total % 3_600 / 60
        if days > 0 { return hours > 0 ? "\(days)d \(hours)h" : "\(days)d" }
        if hours > 0 { return minutes > 0 ? "\(hours)h \(minutes)m" : "\(hours)h" }
        if minutes > 0 { return "\(minutes)m" }
        return "\(total)s"
    }
}
