import Yams

/// `monitoring`: every threshold in its unit, each warning checked against its critical partner
/// (given or default: a warning must come first, or it would never show), and the check ages
/// against the `checks` cadences they judge (an age shorter than the cadence would report every
/// check late before the next one is even due).
extension ConfigurationReader {
    static let monitoringKeys = ["freshness", "failures", "size", "checks", "space", "copy_lag", "drill_max_age", "stale_lock_age", "textfile"]

    func readMonitoring(_ node: Node?, _ path: KeyPath, checks: CheckSettings) -> MonitoringSettings {
        var settings = MonitoringSettings()
        guard let node, let fields = reader.mapping(node, path, keys: Self.monitoringKeys) else { return settings.following(checks) }
        if let node = fields["freshness"], let freshness = reader.mapping(node, fields.path("freshness"), keys: ["warning", "critical"]) {
            let factors = ordered(freshness, "warning", "critical", defaults: (settings.freshness.warning, settings.freshness.critical),
                                  critical: .above, strictly: true, spell: Quantities.numberSpelling) { node, path in
                guard let factor = reader.number(node, path) else { return nil }
                guard factor > 1 else {
                    reader.report("must be above 1, found \(factor): a factor of each source's cadence (1 is the cadence itself)", at: node, path)
                    return nil
                }
                return factor
            }
            settings.freshness = MonitoringSettings.Factors(warning: factors.warning, critical: factors.critical)
        }
        if let node = fields["failures"], let failures = reader.mapping(node, fields.path("failures"), keys: ["warning", "critical"]) {
            // Equal counts are a wish, not a mistake: critical at the first failure.
            let counts = ordered(failures, "warning", "critical", defaults: (settings.failures.warning, settings.failures.critical),
                                 critical: .above, strictly: false, spell: { String($0) }) { reader.integer($0, $1, minimum: 1) }
            settings.failures = MonitoringSettings.Counts(warning: counts.warning, critical: counts.critical)
        }
        if let node = fields["size"] { settings.size = readSize(node, fields.path("size")) }
        if let node = fields["checks"] { readCheckAges(node, fields.path("checks"), checks: checks, into: &settings) }
        if let node = fields["space"] { settings.space = readSpace(node, fields.path("space")) }
        if let node = fields["copy_lag"] { settings.copyLag = reader.duration(node, fields.path("copy_lag")) }
        if let node = fields["drill_max_age"] { settings.drillMaxAge = reader.duration(node, fields.path("drill_max_age")) }
        if let node = fields["stale_lock_age"], let age = reader.duration(node, fields.path("stale_lock_age")) { settings.staleLockAge = age }
        if let node = fields["textfile"], let directory = reader.word(node, fields.path("textfile"), what: "a directory") {
            settings.textfileDirectory = absolute(directory)
        }
        return settings.following(checks)
    }

    private func readSize(_ node: Node, _ path: KeyPath) -> MonitoringSettings.SizeThresholds {
        var size = MonitoringSettings.SizeThresholds()
        guard let fields = reader.mapping(node, path, keys: ["window", "dump_shrink_critical", "file_loss_critical", "change_warning"]) else { return size }
        if let node = fields["window"], let window = reader.integer(node, fields.path("window"), minimum: 1) { size.window = window }
        if let node = fields["dump_shrink_critical"], let share = reader.share(node, fields.path("dump_shrink_critical")) { size.dumpShrinkCritical = share }
        if let node = fields["file_loss_critical"], let share = reader.share(node, fields.path("file_loss_critical")) { size.fileLossCritical = share }
        if let node = fields["change_warning"], let share = reader.share(node, fields.path("change_warning")) { size.changeWarning = share }
        return size
    }

    private func readCheckAges(_ node: Node, _ path: KeyPath, checks: CheckSettings, into settings: inout MonitoringSettings) {
        guard let fields = reader.mapping(node, path, keys: ["structure_max_age", "read_data_max_age"]) else { return }
        for (key, cadence, spelling) in [("structure_max_age", checks.structure.interval, "checks.structure (\(checks.structure))"),
                                         ("read_data_max_age", checks.readData.cadence.interval, "checks.read_data.cadence (\(checks.readData.cadence))")] {
            guard let node = fields[key], let age = reader.duration(node, fields.path(key)) else { continue }
            if age < cadence {
                reader.report("\(Quantities.durationSpelling(age)) is shorter than \(spelling): every check would be late before the next one is due",
                              at: node, fields.path(key))
            }
            if key == "structure_max_age" { settings.checkMaxAge = age } else { settings.readDataMaxAge = age }
        }
    }

    private func readSpace(_ node: Node, _ path: KeyPath) -> MonitoringSettings.SpaceThresholds {
        var space = MonitoringSettings.SpaceThresholds()
        let keys = ["free_warning", "free_critical", "days_to_full_warning", "days_to_full_critical", "quota", "free_bytes_critical"]
        guard let fields = reader.mapping(node, path, keys: keys) else { return space }
        // Less free space, and fewer days left, are worse: critical is the lower threshold.
        let free = ordered(fields, "free_warning", "free_critical", defaults: (space.freeWarning, space.freeCritical),
                           critical: .below, strictly: true, spell: Quantities.shareSpelling) { reader.share($0, $1) }
        space.freeWarning = free.warning
        space.freeCritical = free.critical
        let days = ordered(fields, "days_to_full_warning", "days_to_full_critical", defaults: (space.daysToFullWarning, space.daysToFullCritical),
                           critical: .below, strictly: true, spell: Quantities.numberSpelling) { node, path in
            guard let days = reader.number(node, path) else { return nil }
            guard days > 0 else {
                reader.report("must be above 0, found \(Quantities.numberSpelling(days))", at: node, path)
                return nil
            }
            return days
        }
        space.daysToFullWarning = days.warning
        space.daysToFullCritical = days.critical
        if let node = fields["quota"] { space.quotaBytes = positiveBytes(node, fields.path("quota")) }
        if let node = fields["free_bytes_critical"] { space.freeBytesCritical = positiveBytes(node, fields.path("free_bytes_critical")) }
        return space
    }

    private func positiveBytes(_ node: Node, _ path: KeyPath) -> UInt64? {
        guard let bytes = reader.byteCount(node, path) else { return nil }
        guard bytes > 0 else {
            reader.report("must be above 0 bytes", at: node, path)
            return nil
        }
        return bytes
    }

    /// Which side of the warning threshold the critical one lies on.
    fileprivate enum CriticalSide { case above, below }

    /// A warning threshold and its critical partner, each read when given (else its default),
    /// then checked to be in order: the warning must be reached first. A value that did not read
    /// was named already; comparing its default would be a false second error.
    private func ordered<Value: Comparable>(_ fields: NodeReader.Fields, _ warningKey: String, _ criticalKey: String,
                                            defaults: (Value, Value), critical side: CriticalSide, strictly: Bool,
                                            spell: (Value) -> String, read: (Node, KeyPath) -> Value?) -> (warning: Value, critical: Value) {
        var warning = defaults.0, critical = defaults.1
        var readAll = true
        if let node = fields[warningKey] {
            if let value = read(node, fields.path(warningKey)) { warning = value } else { readAll = false }
        }
        if let node = fields[criticalKey] {
            if let value = read(node, fields.path(criticalKey)) { critical = value } else { readAll = false }
        }
        guard readAll, fields.has(warningKey) || fields.has(criticalKey) else { return (warning, critical) }
        let inOrder = switch (side, strictly) {
        case (.above, true): warning < critical
        case (.above, false): warning <= critical
        case (.below, true): warning > critical
        case (.below, false): warning >= critical
        }
        if !inOrder {
            let relation = switch (side, strictly) {
            case (.above, true): "below"
            case (.above, false): "at most"
            case (.below, true): "above"
            case (.below, false): "at least"
            }
            let at = fields.has(criticalKey) ? criticalKey : warningKey
            reader.report("\(warningKey) (\(spell(warning))) must be \(relation) \(criticalKey) (\(spell(critical))): a warning comes before it is critical",
                          at: fields[at], fields.path(at))
        }
        return (warning, critical)
    }
}
