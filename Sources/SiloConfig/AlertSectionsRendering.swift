/// `monitoring` and `notifications` as `config show` prints them: every default written out,
/// in the units the file is written in, so that the output reads back as the same settings.
extension MonitoringSettings {
    var effectiveValue: ConfigValue {
        var pairs: [(key: String, value: ConfigValue)] = [
            ("freshness", .mapping([("warning", Quantities.numberValue(freshness.warning)), ("critical", Quantities.numberValue(freshness.critical))])),
            ("failures", .mapping([("warning", .integer(failures.warning)), ("critical", .integer(failures.critical))])),
            ("size", .mapping([
                ("window", .integer(size.window)), ("dump_shrink_critical", Quantities.shareValue(size.dumpShrinkCritical)),
                ("file_loss_critical", Quantities.shareValue(size.fileLossCritical)), ("change_warning", Quantities.shareValue(size.changeWarning)),
            ])),
        ]
        var ages: [(key: String, value: ConfigValue)] = []
        if let checkMaxAge { ages.append(("structure_max_age", .string(Quantities.durationSpelling(checkMaxAge)))) }
        if let readDataMaxAge { ages.append(("read_data_max_age", .string(Quantities.durationSpelling(readDataMaxAge)))) }
        if !ages.isEmpty { pairs.append(("checks", .mapping(ages))) }
        var space: [(key: String, value: ConfigValue)] = [
            ("free_warning", Quantities.shareValue(self.space.freeWarning)), ("free_critical", Quantities.shareValue(self.space.freeCritical)),
            ("days_to_full_warning", Quantities.numberValue(self.space.daysToFullWarning)),
            ("days_to_full_critical", Quantities.numberValue(self.space.daysToFullCritical)),
        ]
        if let quota = self.space.quotaBytes { space.append(("quota", .string(Quantities.byteSpelling(quota)))) }
        if let bytes = self.space.freeBytesCritical { space.append(("free_bytes_critical", .string(Quantities.byteSpelling(bytes)))) }
        pairs.append(("space", .mapping(space)))
        // No single value says "1.5× each copy's cadence" or "never warn": left out, as in the file.
        if let copyLag { pairs.append(("copy_lag", .string(Quantities.durationSpelling(copyLag)))) }
        if let drillMaxAge { pairs.append(("drill_max_age", .string(Quantities.durationSpelling(drillMaxAge)))) }
        pairs.append(("stale_lock_age", .string(Quantities.durationSpelling(staleLockAge))))
        if let textfileDirectory { pairs.append(("textfile", .string(textfileDirectory))) }
        return .mapping(pairs)
    }
}

extension NotificationSettings {
    var effectiveValue: ConfigValue {
        var pairs: [(key: String, value: ConfigValue)] = [
            ("hold", .integer(hold)),
            ("remind", .string(remind.map(Quantities.durationSpelling) ?? "never")),
            ("attempts", .integer(attempts)),
            ("channels", .list(channels.map(\.effectiveValue))),
        ]
        if !tiers.isEmpty {
            pairs.append(("tiers", .list(tiers.map { tier in
                .mapping([("after", .string(Quantities.durationSpelling(tier.after))), ("severity", .string(tier.severity.rawValue)),
                          ("channels", .list(tier.channels.map(ConfigValue.string)))])
            })))
        }
        return .mapping(pairs)
    }
}

extension ChannelSettings {
    var effectiveValue: ConfigValue {
        var pairs: [(key: String, value: ConfigValue)] = [("name", .string(name)), ("type", .string(typeName)), ("min_severity", .string(minSeverity.rawValue))]
        switch kind {
        case .slack(let url):
            pairs += Self.pairs(url, "webhook_url")
        case .email(let email):
            pairs.append(("server", .string(email.server)))
            pairs.append(("security", .string(email.security.rawValue)))
            if let username = email.username { pairs.append(("username", .string(username))) }
            pairs += Self.pairs(email.password, "password")
            pairs.append(("from", .string(email.from)))
            pairs.append(("to", .list(email.to.map(ConfigValue.string))))
            if let caFile = email.caFile { pairs.append(("ca_file", .string(caFile))) }
        case .webhook(let url, let secret):
            pairs += Self.pairs(url, "url") + Self.pairs(secret, "secret")
        case .healthchecks(let url, let sendBody):
            pairs += Self.pairs(url, "url")
            pairs.append(("send_body", .boolean(sendBody)))
        }
        return .mapping(pairs)
    }

    /// A secret under the key that says how it is given. An inline secret emptied by
    /// `removingSecrets()` is left out: the saved copy then lacks the key, and `config validate`
    /// of a recovered file names it as missing.
    private static func pairs(_ secret: Secret?, _ base: String) -> [(key: String, value: ConfigValue)] {
        switch secret {
        case .value(let value)?: value.isEmpty ? [] : [(base, .string(value))]
        case .file(let path)?: [(base + "_file", .string(path))]
        case .command(let command)?: [(base + "_command", .string(command))]
        case nil: []
        }
    }
}
