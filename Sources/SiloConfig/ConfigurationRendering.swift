import Yams

/// The effective configuration as data and as YAML (`config show`, and the copy a run stores
/// in the repository): every default written out, so that what silo does can be read off it.
extension Configuration {
    public var effectiveValue: ConfigValue {
        var top: [(key: String, value: ConfigValue)] = []
        var repository: [(key: String, value: ConfigValue)] = [("location", .string(self.repository.location))]
        repository += Self.passwordPairs(self.repository.password)
        if let cache = self.repository.cacheDirectory { repository.append(("cache_dir", .string(cache))) }
        top.append(("repository", .mapping(repository)))
        if !copies.isEmpty {
            top.append(("copies", .list(copies.map { copy in
                .mapping([("name", .string(copy.name)), ("location", .string(copy.location))] + Self.passwordPairs(copy.password)
                         + [("cadence", .string(copy.cadence.spelling))])
            })))
        }
        top.append(("sources", .mapping(sources.map { ($0.name, Self.value(of: $0)) })))
        var retention = Self.pairs(of: self.retention.policy)
        retention.append(("prune", .string(self.retention.prune.spelling)))
        if !self.retention.sourceOverrides.isEmpty {
            retention.append(("sources", .mapping(self.retention.sourceOverrides.map { ($0.name, .mapping(Self.pairs(of: $0.policy))) })))
        }
        if !self.retention.tagOverrides.isEmpty {
            retention.append(("tags", .mapping(self.retention.tagOverrides.map { ($0.tag, .mapping(Self.pairs(of: $0.policy))) })))
        }
        top.append(("retention", .mapping(retention)))
        top.append(("checks", .mapping([
            ("structure", .string(checks.structure.spelling)),
            ("read_data", .mapping([("cadence", .string(checks.readData.cadence.spelling)), ("share", .string(checks.readData.share.text))])),
        ])))
        if !hooks.isEmpty { top.append(("hooks", Self.value(of: hooks))) }
        top.append(("state", .mapping([("directory", .string(state.directory)), ("history_days", .integer(state.historyDays))])))
        top.append(("monitoring", monitoring.effectiveValue))
        top.append(("notifications", notifications.effectiveValue))
        if !services.isEmpty { top.append(("services", .mapping(services.map { ($0.name, $0.effectiveValue) }))) }
        top.append(("drill", drill.effectiveValue))
        for section in reserved { top.append((section.name, section.value)) }
        return .mapping(top)
    }

    /// The effective configuration as YAML text.
    public func yaml(masked: Bool = true) -> String {
        ConfigValue.yaml(masked ? effectiveValue.maskingSecrets() : effectiveValue)
    }

    private static func passwordPairs(_ password: RepositoryPassword?) -> [(key: String, value: ConfigValue)] {
        switch password {
        case .file(let path)?: return [("password_file", .string(path))]
        case .command(let command)?: return [("password_command", .string(command))]
        case nil: return []
        }
    }

    private static func value(of source: SourceSettings) -> ConfigValue {
        var pairs: [(key: String, value: ConfigValue)] = []
        switch source.kind {
        case .paths(let paths):
            pairs.append(("paths", .list(paths.paths.map(ConfigValue.string))))
            if !paths.exclude.isEmpty { pairs.append(("exclude", .list(paths.exclude.map(ConfigValue.string)))) }
            if !paths.excludeFiles.isEmpty { pairs.append(("exclude_file", .list(paths.excludeFiles.map(ConfigValue.string)))) }
            pairs.append(("one_file_system", .boolean(paths.oneFileSystem)))
            if !paths.excludeIfPresent.isEmpty { pairs.append(("exclude_if_present", .list(paths.excludeIfPresent.map(ConfigValue.string)))) }
            pairs.append(("exclude_caches", .boolean(paths.excludeCaches)))
        case .postgres(let postgres):
            var database: [(key: String, value: ConfigValue)] = [("url", .string(postgres.url))]
            switch postgres.password {
            case .value(let value)?: database.append(("password", .string(value)))
            case .file(let path)?: database.append(("password_file", .string(path)))
            case .environment(let name)?: database.append(("password_env", .string(name)))
            case nil: break
            }
            pairs.append(("postgres", .mapping(database)))
        }
        pairs.append(("tags", .list(source.tags.map(ConfigValue.string))))
        pairs.append(("cadence", .string(source.cadence.spelling)))
        if !source.hooks.isEmpty { pairs.append(("hooks", value(of: source.hooks))) }
        return .mapping(pairs)
    }

    private static func value(of hooks: HookSettings) -> ConfigValue {
        func list(_ hooks: [Hook]) -> ConfigValue {
            .list(hooks.map { .mapping([("command", .string($0.command)), ("timeout", .string($0.timeoutSpelling))]) })
        }
        var pairs: [(key: String, value: ConfigValue)] = []
        if !hooks.before.isEmpty { pairs.append(("before", list(hooks.before))) }
        if !hooks.after.isEmpty { pairs.append(("after", list(hooks.after))) }
        if !hooks.onFailure.isEmpty { pairs.append(("on_failure", list(hooks.onFailure))) }
        return .mapping(pairs)
    }

    private static func pairs(of policy: KeepPolicy) -> [(key: String, value: ConfigValue)] {
        var pairs: [(key: String, value: ConfigValue)] = []
        for (key, count) in [("keep_last", policy.last), ("keep_hourly", policy.hourly), ("keep_daily", policy.daily),
                             ("keep_weekly", policy.weekly), ("keep_monthly", policy.monthly), ("keep_yearly", policy.yearly)] where count > 0 {
            pairs.append((key, .integer(count)))
        }
        if let within = policy.within { pairs.append(("keep_within", .string(within))) }
        return pairs
    }
}

extension ConfigValue {
    /// Block-style YAML that silo reads back as the same configuration.
    public static func yaml(_ value: ConfigValue) -> String {
        (try? Yams.serialize(node: node(value), indent: 2, width: -1, allowUnicode: true)) ?? ""
    }

    private static func node(_ value: ConfigValue) -> Node {
        switch value {
        case .string(let text): return Node(text, .implicit, Node.Scalar.Style.any)
        case .integer(let number): return Node(String(number), .implicit, Node.Scalar.Style.plain)
        case .number(let number): return Node(String(number), .implicit, Node.Scalar.Style.plain)
        case .boolean(let flag): return Node(flag ? "true" : "false", .implicit, Node.Scalar.Style.plain)
        case .null: return Node("null", .implicit, Node.Scalar.Style.plain)
        case .list(let items): return Node(items.map(node), .implicit, Node.Sequence.Style.block)
        case .mapping(let pairs): return Node(pairs.map { (Node($0.key), node($0.value)) }, .implicit, Node.Mapping.Style.block)
        }
    }
}
