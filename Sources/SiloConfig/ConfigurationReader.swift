import Foundation
import Yams

/// Turns the composed YAML into a `Configuration`: each section's keys, types, defaults and
/// rules that need more than one value (exactly one of paths/postgres, a read-data share that
/// covers a month). Files the configuration refers to are collected for `FileChecks`.
struct ConfigurationReader {
    let reader: NodeReader
    /// The directory relative paths are taken from: the configuration file's.
    let directory: String
    let isRoot: Bool

    /// A file the configuration names, checked after the shape (exists, mode).
    struct ReferencedFile {
        enum Kind {
            case passwordFile, excludeFile
            /// A notification channel's secret (a webhook URL, an SMTP password, an HMAC key): 0600 like a password file.
            case secretFile
            /// A CA bundle an email channel trusts: it must exist, anyone may read it.
            case certificateFile
        }
        let path: String
        let kind: Kind
        let position: SourcePosition?
        let keyPath: KeyPath
    }
    var referencedFiles: [ReferencedFile] = []

    static let topLevelKeys = ["repository", "copies", "sources", "retention", "checks", "hooks", "state", "monitoring", "notifications", "services", "drill"]
        + Configuration.reservedSections
    static let pathSourceKeys = ["paths", "exclude", "exclude_file", "one_file_system", "exclude_if_present", "exclude_caches"]
    static let keepKeys = ["keep_last", "keep_hourly", "keep_daily", "keep_weekly", "keep_monthly", "keep_yearly", "keep_within"]

    init(reader: NodeReader, directory: String, isRoot: Bool) {
        self.reader = reader
        self.directory = directory
        self.isRoot = isRoot
    }

    mutating func read(_ root: Node) -> Configuration? {
        guard let top = reader.mapping(root, .root, keys: Self.topLevelKeys, required: ["repository", "sources"], what: "the configuration's sections") else { return nil }
        let repository = top["repository"].flatMap { readRepository($0, top.path("repository")) }
        let copies = top["copies"].map { readCopies($0, top.path("copies")) } ?? []
        let sources = top["sources"].map { readSources($0, top.path("sources")) } ?? []
        let retention = top["retention"].map { readRetention($0, top.path("retention"), sources: sources) } ?? RetentionSettings()
        let checks = top["checks"].map { readChecks($0, top.path("checks")) } ?? CheckSettings()
        let hooks = top["hooks"].map { readHooks($0, top.path("hooks")) } ?? HookSettings()
        let state = readState(top["state"], top.path("state"))
        let monitoring = readMonitoring(top["monitoring"], top.path("monitoring"), checks: checks)
        let notifications = top["notifications"].map { readNotifications($0, top.path("notifications")) } ?? NotificationSettings()
        let services = top["services"].map { readServices($0, top.path("services"), sources: sources) } ?? []
        let drill = top["drill"].map { readDrill($0, top.path("drill")) } ?? DrillSettings()
        var reserved: [(name: String, value: ConfigValue)] = []
        for name in Configuration.reservedSections {
            guard let node = top[name] else { continue }
            guard case .mapping = node else {
                reader.report("expected a mapping, found \(NodeReader.kind(node)) (this section is reserved for a later version; its keys are not checked yet)", at: node, top.path(name))
                continue
            }
            reserved.append((name, reader.value(node, top.path(name), key: name)))
        }
        guard let repository else { return nil }
        return Configuration(file: reader.file, repository: repository, copies: copies, sources: sources, retention: retention,
                             checks: checks, hooks: hooks, state: state, monitoring: monitoring, notifications: notifications, services: services, drill: drill, reserved: reserved)
    }

    // MARK: repository and copies

    private mutating func readRepository(_ node: Node, _ path: KeyPath) -> RepositorySettings? {
        guard let fields = reader.mapping(node, path, keys: ["location", "password_file", "password_command", "cache_dir"], required: ["location"]) else { return nil }
        let location = fields["location"].flatMap { readLocation($0, fields.path("location")) }
        let password = readRepositoryPassword(fields)
        let cache = fields["cache_dir"].flatMap { reader.word($0, fields.path("cache_dir")) }.map(absolute)
        guard let location else { return nil }
        return RepositorySettings(location: location, password: password, cacheDirectory: cache)
    }

    private mutating func readCopies(_ node: Node, _ path: KeyPath) -> [CopySettings] {
        guard case .sequence(let sequence) = node else {
            reader.report("expected a list of copies, found \(NodeReader.kind(node))", at: node, path)
            return []
        }
        var copies: [CopySettings] = []
        for (index, item) in sequence.enumerated() {
            let itemPath = path.appending(index)
            guard let fields = reader.mapping(item, itemPath, keys: ["name", "location", "password_file", "password_command", "cadence"], required: ["name", "location"]) else { continue }
            let name = fields["name"].flatMap { readName($0, fields.path("name"), what: "a copy") }
            if let name, copies.contains(where: { $0.name == name }) {
                reader.report("copy '\(name)' is named twice: names must be unique", at: fields["name"], fields.path("name"))
            }
            let location = fields["location"].flatMap { readLocation($0, fields.path("location")) }
            let password = readRepositoryPassword(fields)
            let cadence = fields["cadence"].flatMap { reader.cadence($0, fields.path("cadence")) } ?? CopySettings.defaultCadence
            if let name, let location { copies.append(CopySettings(name: name, location: location, password: password, cadence: cadence)) }
        }
        return copies
    }

    private mutating func readRepositoryPassword(_ fields: NodeReader.Fields) -> RepositoryPassword? {
        if fields.has("password_file"), let command = fields["password_command"] {
            reader.report("password_file and password_command exclude each other; give one", at: command, fields.path("password_command"))
            return nil
        }
        if let node = fields["password_file"], let path = reader.word(node, fields.path("password_file")) {
            let file = absolute(path)
            referencedFiles.append(ReferencedFile(path: file, kind: .passwordFile, position: NodeReader.position(node), keyPath: fields.path("password_file")))
            return .file(file)
        }
        if let node = fields["password_command"], let command = reader.word(node, fields.path("password_command")) {
            return .command(command)
        }
        return nil
    }

    /// A directory (made absolute) or a URL-like location (`s3:…`, `local:…`), kept as written.
    private func readLocation(_ node: Node, _ path: KeyPath) -> String? {
        guard let location = reader.word(node, path, what: "a repository location") else { return nil }
        if let raw = reader.raw(node) { reader.noteURLPassword(raw: raw, at: node, path) }
        if location.hasPrefix("s3:") || location.hasPrefix("local:") || location.hasPrefix("/") { return location }
        if let colon = location.firstIndex(of: ":"), !location[..<colon].contains("/") {
            reader.report("'\(location[..<colon])' is not a supported location scheme: use a directory, local:DIR or s3:URL", at: node, path)
            return nil
        }
        return absolute(location)
    }

    // MARK: sources

    private mutating func readSources(_ node: Node, _ path: KeyPath) -> [SourceSettings] {
        guard let entries = reader.namedEntries(node, path, what: "sources") else { return [] }
        if entries.isEmpty { reader.report("no sources: name at least one", at: node, path) }
        var sources: [SourceSettings] = []
        for entry in entries {
            let sourcePath = path.appending(entry.name)
            let nameOK = checkName(entry.name, at: entry.keyNode, sourcePath, what: "a source")
            if let source = readSource(entry.name, entry.value, sourcePath), nameOK { sources.append(source) }
        }
        return sources
    }

    private mutating func readSource(_ name: String, _ node: Node, _ path: KeyPath) -> SourceSettings? {
        let keys = Self.pathSourceKeys + ["postgres", "tags", "cadence", "hooks"]
        guard let fields = reader.mapping(node, path, keys: keys) else { return nil }
        let tags = fields["tags"].flatMap { readTags($0, fields.path("tags")) } ?? []
        let cadence = fields["cadence"].flatMap { reader.cadence($0, fields.path("cadence")) } ?? SourceSettings.defaultCadence
        let hooks = fields["hooks"].map { readHooks($0, fields.path("hooks")) } ?? HookSettings()
        let kind: SourceSettings.Kind?
        switch (fields["paths"], fields["postgres"]) {
        case (nil, nil):
            reader.report("a source needs either 'paths' (files) or 'postgres' (a database)", at: node, path)
            return nil
        case (_?, let postgres?):
            reader.report("'paths' and 'postgres' exclude each other: make two sources", at: postgres, fields.path("postgres"))
            return nil
        case (let paths?, nil):
            kind = readPathSource(paths, fields).map { .paths($0) }
        case (nil, let postgres?):
            for key in Self.pathSourceKeys where fields.has(key) {
                reader.report("'\(key)' applies to paths sources only, not to a postgres source", at: fields.entries.first { $0.key == key }?.keyNode, fields.path(key))
            }
            kind = readPostgres(postgres, fields.path("postgres")).map { .postgres($0) }
        }
        guard let kind else { return nil }
        return SourceSettings(name: name, kind: kind, tags: tags, cadence: cadence, hooks: hooks)
    }

    private mutating func readPathSource(_ node: Node, _ fields: NodeReader.Fields) -> PathSource? {
        guard let paths = reader.strings(node, fields.path("paths"), nonEmpty: true) else { return nil }
        var source = PathSource(paths: paths.map(absolute))
        if let node = fields["exclude"] { source.exclude = reader.strings(node, fields.path("exclude"), single: true) ?? [] }
        if let node = fields["exclude_file"] {
            let files = (reader.strings(node, fields.path("exclude_file"), single: true) ?? []).map(absolute)
            for (index, file) in files.enumerated() {
                let itemPath = node.sequence == nil ? fields.path("exclude_file") : fields.path("exclude_file").appending(index)
                let itemNode = node.sequence.map { Array($0)[index] } ?? node
                referencedFiles.append(ReferencedFile(path: file, kind: .excludeFile, position: NodeReader.position(itemNode), keyPath: itemPath))
            }
            source.excludeFiles = files
        }
        if let node = fields["one_file_system"] { source.oneFileSystem = reader.boolean(node, fields.path("one_file_system")) ?? false }
        if let node = fields["exclude_if_present"] { source.excludeIfPresent = reader.strings(node, fields.path("exclude_if_present"), single: true) ?? [] }
        if let node = fields["exclude_caches"] { source.excludeCaches = reader.boolean(node, fields.path("exclude_caches")) ?? false }
        return source
    }

    private mutating func readPostgres(_ node: Node, _ path: KeyPath) -> PostgresSource? {
        guard let fields = reader.mapping(node, path, keys: ["url", "password", "password_file", "password_env"], required: ["url"]) else { return nil }
        var url: String?
        if let urlNode = fields["url"], let text = reader.word(urlNode, fields.path("url"), what: "a database URL") {
            if text.hasPrefix("postgresql://") || text.hasPrefix("postgres://") {
                url = text
                if let raw = reader.raw(urlNode) { reader.noteURLPassword(raw: raw, at: urlNode, fields.path("url")) }
            } else {
                reader.report("'\(text)' is not a database URL: expected postgresql://USER@HOST:PORT/DB", at: urlNode, fields.path("url"))
            }
        }
        let given = ["password", "password_file", "password_env"].filter(fields.has)
        if given.count > 1 {
            reader.report("\(given.joined(separator: ", ")) exclude each other; give one", at: fields[given[1]], fields.path(given[1]))
        }
        var password: DatabasePassword?
        if let node = fields["password"], let value = reader.string(node, fields.path("password")) {
            if let raw = reader.raw(node), SecretPolicy.isLiteral(raw) { reader.noteLiteralSecret(at: node, fields.path("password")) }
            password = .value(value)
        } else if let node = fields["password_file"], let file = reader.word(node, fields.path("password_file")).map(absolute) {
            referencedFiles.append(ReferencedFile(path: file, kind: .passwordFile, position: NodeReader.position(node), keyPath: fields.path("password_file")))
            password = .file(file)
        } else if let node = fields["password_env"], let name = reader.word(node, fields.path("password_env")) {
            password = .environment(name)
        }
        return url.map { PostgresSource(url: $0, password: password) }
    }

    private func readTags(_ node: Node, _ path: KeyPath) -> [String]? {
        guard let tags = reader.strings(node, path, single: true) else { return nil }
        for (index, tag) in tags.enumerated() where tag.contains(where: { $0 == "," || $0.isWhitespace }) {
            reader.report("tag '\(tag)' has a comma or a space: a tag is one word", at: node.sequence.map { Array($0)[index] } ?? node, node.sequence == nil ? path : path.appending(index))
        }
        return tags
    }

    // MARK: retention, checks, hooks, state

    private func readRetention(_ node: Node, _ path: KeyPath, sources: [SourceSettings]) -> RetentionSettings {
        guard let fields = reader.mapping(node, path, keys: Self.keepKeys + ["prune", "sources", "tags"]) else { return RetentionSettings() }
        var settings = RetentionSettings()
        settings.policy = readKeep(fields, over: .seedDefault, fillDefaults: true)
        if let node = fields["prune"] { settings.prune = reader.cadence(node, fields.path("prune")) ?? RetentionSettings.defaultPrune }
        if let node = fields["sources"], let entries = reader.namedEntries(node, fields.path("sources"), what: "retention overrides") {
            for entry in entries {
                let entryPath = fields.path("sources").appending(entry.name)
                if !sources.contains(where: { $0.name == entry.name }) {
                    let hint = Suggestion.closest(to: entry.name, among: sources.map(\.name)).map { "; did you mean '\($0)'?" } ?? ""
                    reader.report("no source is named '\(entry.name)'\(hint)", at: entry.keyNode, entryPath)
                    continue
                }
                guard let override = reader.mapping(entry.value, entryPath, keys: Self.keepKeys) else { continue }
                settings.sourceOverrides.append((entry.name, readKeep(override, over: settings.policy, fillDefaults: false)))
            }
        }
        if let node = fields["tags"], let entries = reader.namedEntries(node, fields.path("tags"), what: "retention overrides") {
            let tags = Set(sources.flatMap(\.tags))
            for entry in entries {
                let entryPath = fields.path("tags").appending(entry.name)
                if !tags.contains(entry.name) {
                    let hint = Suggestion.closest(to: entry.name, among: tags.sorted()).map { "; did you mean '\($0)'?" } ?? ""
                    reader.report("no source has the tag '\(entry.name)'\(hint)", at: entry.keyNode, entryPath)
                    continue
                }
                guard let override = reader.mapping(entry.value, entryPath, keys: Self.keepKeys) else { continue }
                settings.tagOverrides.append((entry.name, readKeep(override, over: settings.policy, fillDefaults: false)))
            }
        }
        return settings
    }

    /// The keep rules given in `fields` over `base`. For the general policy, a rule not given
    /// keeps the seed's default only when no rule is given at all (a policy written out is the
    /// whole policy); an override changes only the rules it names.
    private func readKeep(_ fields: NodeReader.Fields, over base: KeepPolicy, fillDefaults: Bool) -> KeepPolicy {
        let givenAny = Self.keepKeys.contains(where: fields.has)
        let issuesBefore = reader.issues.count
        var policy = fillDefaults && givenAny ? KeepPolicy() : base
        func count(_ key: String) -> Int? { fields[key].flatMap { reader.integer($0, fields.path(key)) } }
        if let value = count("keep_last") { policy.last = value }
        if let value = count("keep_hourly") { policy.hourly = value }
        if let value = count("keep_daily") { policy.daily = value }
        if let value = count("keep_weekly") { policy.weekly = value }
        if let value = count("keep_monthly") { policy.monthly = value }
        if let value = count("keep_yearly") { policy.yearly = value }
        if let node = fields["keep_within"], let text = reader.word(node, fields.path("keep_within")) {
            if KeepPolicy.isWithinDuration(text) {
                policy.within = text
            } else {
                reader.report("'\(text)' is not a duration for keep_within: numbers each followed by y, m, d or h (7d, 1y6m, 36h)", at: node, fields.path("keep_within"))
            }
        }
        // A rule that did not parse was named already; the policy's sum would be a false second error.
        if givenAny && !policy.keepsSomething && reader.issues.count == issuesBefore {
            reader.report("this policy keeps no snapshot: give at least one keep_* rule above 0", at: fields.node, fields.path)
        }
        return policy
    }

    private func readChecks(_ node: Node, _ path: KeyPath) -> CheckSettings {
        guard let fields = reader.mapping(node, path, keys: ["structure", "read_data"]) else { return CheckSettings() }
        var settings = CheckSettings()
        if let node = fields["structure"] { settings.structure = reader.cadence(node, fields.path("structure")) ?? CheckSettings.defaultStructure }
        if let node = fields["read_data"], let readData = reader.mapping(node, fields.path("read_data"), keys: ["cadence", "share"]) {
            var cadence = CheckSettings.defaultReadData.cadence
            var share = CheckSettings.defaultReadData.share
            if let node = readData["cadence"] { cadence = reader.cadence(node, readData.path("cadence")) ?? cadence }
            if let node = readData["share"], let text = reader.word(node, readData.path("share")) {
                if let parsed = Share(text) {
                    share = parsed
                } else {
                    reader.report("'\(text)' is not a share: expected N% (0 < N ≤ 100) or 1/N", at: node, readData.path("share"))
                }
            }
            settings.readData = ReadDataSettings(cadence: cadence, share: share)
            let coverage = settings.readData.coveragePerMonth
            if coverage < 1 - 1e-9 {
                let needed = Int((Double(cadence.interval.components.seconds) / Double(Cadence.month.components.seconds) * 100).rounded(.up))
                reader.report("reading \(share) every \(cadence) reads \(Int((coverage * 100).rounded(.down)))% of the packs in 30 days: some pack would go unread for a month; read at least \(min(needed, 100))% each time, or more often",
                              at: node, fields.path("read_data"))
            }
        }
        return settings
    }

    private func readHooks(_ node: Node, _ path: KeyPath) -> HookSettings {
        guard let fields = reader.mapping(node, path, keys: ["before", "after", "on_failure"]) else { return HookSettings() }
        return HookSettings(before: fields["before"].map { readHookList($0, fields.path("before")) } ?? [],
                            after: fields["after"].map { readHookList($0, fields.path("after")) } ?? [],
                            onFailure: fields["on_failure"].map { readHookList($0, fields.path("on_failure")) } ?? [])
    }

    func readHookList(_ node: Node, _ path: KeyPath) -> [Hook] {
        guard case .sequence(let sequence) = node else {
            reader.report("expected a list of hooks (commands, or mappings with command and timeout), found \(NodeReader.kind(node))", at: node, path)
            return []
        }
        var hooks: [Hook] = []
        for (index, item) in sequence.enumerated() {
            let itemPath = path.appending(index)
            if case .scalar = item {
                if let command = reader.word(item, itemPath, what: "a command") { hooks.append(Hook(command: command)) }
                continue
            }
            guard let fields = reader.mapping(item, itemPath, keys: ["command", "timeout"], required: ["command"], what: "command and timeout") else { continue }
            guard let command = fields["command"].flatMap({ reader.word($0, fields.path("command"), what: "a command") }) else { continue }
            var timeout = Hook.defaultTimeout
            if let node = fields["timeout"], let text = reader.word(node, fields.path("timeout")) {
                if Cadence.duration(text) != nil {
                    timeout = text
                } else {
                    reader.report("'\(text)' is not a timeout: expected \(Cadence.durationGrammar)", at: node, fields.path("timeout"))
                }
            }
            hooks.append(Hook(command: command, timeout: timeout))
        }
        return hooks
    }

    private func readState(_ node: Node?, _ path: KeyPath) -> StateSettings {
        var state = StateSettings(directory: StateSettings.defaultDirectory(isRoot: isRoot, environment: reader.environment))
        guard let node, let fields = reader.mapping(node, path, keys: ["directory", "history_days"]) else { return state }
        if let node = fields["directory"], let directory = reader.word(node, fields.path("directory")) { state.directory = absolute(directory) }
        if let node = fields["history_days"], let days = reader.integer(node, fields.path("history_days"), minimum: 1) { state.historyDays = days }
        return state
    }

    // MARK: names and paths

    func readName(_ node: Node, _ path: KeyPath, what: String) -> String? {
        guard let name = reader.word(node, path, what: "a name") else { return nil }
        return checkName(name, at: node, path, what: what) ? name : nil
    }

    /// Names appear in history, metrics, unit names and alerts: `[a-z0-9_-]+`.
    func checkName(_ name: String, at node: Node, _ path: KeyPath, what: String) -> Bool {
        let allowed = !name.isEmpty && name.unicodeScalars.allSatisfy { ("a"..."z").contains($0) || ("0"..."9").contains($0) || $0 == "_" || $0 == "-" }
        if !allowed {
            reader.report("'\(name)' is not a valid name for \(what): use lower-case letters, digits, _ and - only", at: node, path)
        }
        return allowed
    }

    /// Relative paths are taken from the configuration file's directory; `~/` from HOME.
    func absolute(_ path: String) -> String {
        if path.hasPrefix("/") { return path }
        if path == "~" || path.hasPrefix("~/") { return (reader.environment["HOME"] ?? "/root") + path.dropFirst() }
        return directory.hasSuffix("/") ? directory + path : directory + "/" + path
    }
}
