import Foundation
import SiloConfig

/// Hygiene: the modes of the repository, the password file and the configuration; stale
/// locks; a prune that marked packs and never finished.
enum HygieneCheck {
    static func evaluate(_ facts: MonitorFacts) -> [CheckResult] {
        [modes(facts), locks(facts), prune(facts)]
    }

    private static func modes(_ facts: MonitorFacts) -> CheckResult {
        var findings: [(AlertSeverity, String)] = []
        let octal = { (mode: mode_t) in String(mode & 0o7777, radix: 8) }
        if let mode = facts.modes.repositoryDirectory, mode & 0o077 != 0 {
            findings.append((.warning, "the repository directory is \(octal(mode)), not 0700"))
        }
        if let mode = facts.modes.passwordFile, mode & 0o077 != 0 {
            findings.append((.critical, "the password file is \(octal(mode)), not 0600: others can read the repository's key"))
        }
        // Its hooks run as whoever runs silo (root, from the timer): whoever can write it can run anything.
        if let mode = facts.modes.configurationFile, mode & 0o022 != 0 {
            findings.append((.critical, "the configuration is \(octal(mode)): writable by others, whose hooks then run as silo's user"))
        }
        let state = findings.map(\.0).max() ?? .ok
        return CheckResult(id: "hygiene/modes", category: .hygiene, severity: state,
                           summary: findings.isEmpty ? "the repository, its password file and the configuration are private" : findings.map(\.1).joined(separator: "; "),
                           advice: state == .ok ? nil : "chmod 0700 the repository directory, 0600 the password file and the configuration")
    }

    private static func locks(_ facts: MonitorFacts) -> CheckResult {
        let limit = Age.seconds(facts.configuration.monitoring.staleLockAge)
        let stale = facts.leases.filter(\.stale)
        let long = facts.leases.filter { !$0.stale && facts.now.timeIntervalSince($0.started) > limit }
        var findings: [String] = []
        if !stale.isEmpty {
            findings.append("\(stale.count) stale lock(s) of processes that are gone (" + stale.prefix(3).map { "\($0.purpose) by pid \($0.pid) on \($0.host)" }.joined(separator: ", ") + ")")
        }
        for lease in long.prefix(3) {
            findings.append("a \(lease.purpose) (pid \(lease.pid) on \(lease.host)) has held its lock for \(Age.text(facts.now.timeIntervalSince(lease.started)))")
        }
        return CheckResult(id: "hygiene/locks", category: .hygiene, severity: findings.isEmpty ? .ok : .warning,
                           summary: findings.isEmpty ? "\(facts.leases.count) lock(s), none stale" : findings.joined(separator: "; "),
                           advice: findings.isEmpty ? nil : stale.isEmpty ? "is that process stuck? (`ps`, `silo history`)" : "run `silo unlock`",
                           metrics: [Metric("silo_repository_stale_locks", Double(stale.count), help: "Locks of the repository whose holder is gone.",
                                            perfdataUnit: "", warning: 0.5)])
    }

    /// A mark stays until the next prune deletes its packs; one older than two prune cadences
    /// (two days at least) belongs to a prune that never finished and none has come since.
    private static func prune(_ facts: MonitorFacts) -> CheckResult {
        let limit = max(2 * 86_400, 2 * Age.seconds(facts.configuration.retention.prune.interval))
        let old = facts.markers.filter { facts.now.timeIntervalSince($0.marked) > limit }
        guard let oldest = old.min(by: { $0.marked < $1.marked }) else {
            return CheckResult(id: "hygiene/prune", category: .hygiene, severity: .ok,
                               summary: facts.markers.isEmpty ? "no pack waits for deletion" : "\(facts.markers.count) prune mark(s) waiting for the next prune")
        }
        let packs = old.reduce(0) { $0 + $1.packs }
        return CheckResult(id: "hygiene/prune", category: .hygiene, severity: .warning,
                           summary: "a prune marked \(packs) pack(s) for deletion \(Age.text(facts.now.timeIntervalSince(oldest.marked))) ago and no prune has finished since",
                           advice: "run `silo prune` (it deletes what the mark names once no backup can use it)")
    }
}
