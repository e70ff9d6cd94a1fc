import Foundation
import Yams

/// `services` and `drill`. A service's paths must lie inside a paths source and its databases
/// must be dumped by a postgres source: a restore can only take back what is backed up, and the
/// place to say so is `config validate`, not 3 a.m.
extension ConfigurationReader {
    static let serviceKeys = ["priority", "systemd", "pm2", "commands", "timeout", "health", "paths", "databases", "keep_running"]
    static let healthKeys = ["http", "tcp", "command", "status", "body", "timeout", "retries", "interval"]

    mutating func readServices(_ node: Node, _ path: KeyPath, sources: [SourceSettings]) -> [ServiceSettings] {
        guard let entries = reader.namedEntries(node, path, what: "services") else { return [] }
        var services: [ServiceSettings] = []
        for entry in entries {
            let servicePath = path.appending(entry.name)
            let nameOK = checkName(entry.name, at: entry.keyNode, servicePath, what: "a service")
            guard let service = readService(entry.name, entry.value, servicePath, sources: sources), nameOK else { continue }
            for other in services {
                for owned in service.paths {
                    if let clash = other.paths.first(where: { Self.contains($0, owned) || Self.contains(owned, $0) }) {
                        reader.report("\(owned) overlaps \(clash) of service '\(other.name)': a path belongs to one service", at: entry.value, servicePath.appending("paths"))
                    }
                }
                for database in service.databases where other.databases.contains(database) {
                    reader.report("database \(database) already belongs to service '\(other.name)'", at: entry.value, servicePath.appending("databases"))
                }
            }
            services.append(service)
        }
        return services
    }

    private mutating func readService(_ name: String, _ node: Node, _ path: KeyPath, sources: [SourceSettings]) -> ServiceSettings? {
        guard let fields = reader.mapping(node, path, keys: Self.serviceKeys, required: ["priority"]) else { return nil }
        let priority = fields["priority"].flatMap {
            reader.choice($0, fields.path("priority"), among: ServiceSettings.Priority.allCases.map(\.rawValue), what: "a priority")
        }.flatMap(ServiceSettings.Priority.init(rawValue:))
        let control = readControl(fields, path)
        var timeout = Duration.seconds(120)
        if let node = fields["timeout"], let value = reader.duration(node, fields.path("timeout")) { timeout = value }
        let health = fields["health"].map { readHealthChecks($0, fields.path("health")) } ?? []
        var paths: [String] = []
        if let node = fields["paths"], let items = reader.stringItems(node, fields.path("paths"), single: true) {
            for item in items {
                let owned = absolute(item.text)
                if sources.owning(path: owned) == nil {
                    reader.report("\(owned) is not inside any paths source: back it up in 'sources' to restore it with this service", at: item.node, item.path)
                }
                if let clash = paths.first(where: { Self.contains($0, owned) || Self.contains(owned, $0) }) {
                    reader.report("\(owned) overlaps \(clash): name each path once, the outer one", at: item.node, item.path)
                }
                paths.append(owned)
            }
        }
        var databases: [String] = []
        if let node = fields["databases"], let items = reader.stringItems(node, fields.path("databases"), single: true) {
            for item in items {
                if sources.dumping(database: item.text) == nil {
                    reader.report("database \(item.text) is not dumped by any postgres source: add it to 'sources' to restore it with this service", at: item.node, item.path)
                }
                databases.append(item.text)
            }
        }
        let keepRunning = fields["keep_running"].flatMap { reader.boolean($0, fields.path("keep_running")) } ?? false
        guard let priority, let control else { return nil }
        return ServiceSettings(name: name, priority: priority, control: control, timeout: timeout, health: health, paths: paths,
                               databases: databases, keepRunning: keepRunning)
    }

    private func readControl(_ fields: NodeReader.Fields, _ path: KeyPath) -> ServiceSettings.Control? {
        let given = ["systemd", "pm2", "commands"].filter(fields.has)
        guard given.count == 1 else {
            let message = given.isEmpty ? "a service needs one of systemd (a unit), pm2 (a process name) or commands (start and stop)"
                : "\(given.joined(separator: ", ")) exclude each other: a service is controlled one way"
            reader.report(message, at: given.count > 1 ? fields[given[1]] : fields.node, given.count > 1 ? fields.path(given[1]) : path)
            return nil
        }
        switch given[0] {
        case "systemd":
            return fields["systemd"].flatMap { reader.word($0, fields.path("systemd"), what: "a unit name") }.map { .systemd(unit: $0) }
        case "pm2":
            return fields["pm2"].flatMap { reader.word($0, fields.path("pm2"), what: "a PM2 process name") }.map { .pm2(process: $0) }
        default:
            guard let node = fields["commands"],
                  let commands = reader.mapping(node, fields.path("commands"), keys: ["start", "stop", "status"], required: ["start", "stop"]) else { return nil }
            let start = commands["start"].flatMap { reader.word($0, commands.path("start"), what: "a command") }
            let stop = commands["stop"].flatMap { reader.word($0, commands.path("stop"), what: "a command") }
            let status = commands["status"].flatMap { reader.word($0, commands.path("status"), what: "a command") }
            guard let start, let stop else { return nil }
            return .commands(start: start, stop: stop, status: status)
        }
    }

    private func readHealthChecks(_ node: Node, _ path: KeyPath) -> [HealthCheckSettings] {
        guard case .sequence(let sequence) = node else {
            reader.report("expected a list of health checks (http, tcp or command), found \(NodeReader.kind(node))", at: node, path)
            return []
        }
        var checks: [HealthCheckSettings] = []
        for (index, item) in sequence.enumerated() {
            let itemPath = path.appending(index)
            guard let fields = reader.mapping(item, itemPath, keys: Self.healthKeys) else { continue }
            let kinds = ["http", "tcp", "command"].filter(fields.has)
            guard kinds.count == 1 else {
                reader.report(kinds.isEmpty ? "a health check needs one of http (a URL), tcp (HOST:PORT) or command"
                              : "\(kinds.joined(separator: ", ")) exclude each other: make one check each", at: item, itemPath)
                continue
            }
            for key in ["status", "body"] where fields.has(key) && kinds[0] != "http" {
                reader.report("'\(key)' applies to http checks only", at: fields[key], fields.path(key))
            }
            var probe: HealthCheckSettings.Probe?
            switch kinds[0] {
            case "http":
                let url = fields["http"].flatMap { reader.word($0, fields.path("http"), what: "a URL") }
                if let url, !(url.hasPrefix("http://") || url.hasPrefix("https://")) {
                    reader.report("'\(url)' is not an http:// or https:// URL", at: fields["http"], fields.path("http"))
                }
                let status = fields["status"].flatMap { reader.integer($0, fields.path("status"), minimum: 100, maximum: 599) } ?? 200
                let body = fields["body"].flatMap { reader.string($0, fields.path("body")) }
                if let url, url.hasPrefix("http://") || url.hasPrefix("https://") { probe = .http(url: url, status: status, body: body) }
            case "tcp":
                if let text = fields["tcp"].flatMap({ reader.word($0, fields.path("tcp"), what: "HOST:PORT") }) {
                    if let colon = text.lastIndex(of: ":"), let port = Int(text[text.index(after: colon)...]), (1...65535).contains(port), colon != text.startIndex {
                        probe = .tcp(host: String(text[..<colon]).trimmingCharacters(in: ["[", "]"]), port: port)
                    } else {
                        reader.report("'\(text)' is not HOST:PORT (a port 1–65535)", at: fields["tcp"], fields.path("tcp"))
                    }
                }
            default:
                probe = fields["command"].flatMap { reader.word($0, fields.path("command"), what: "a command") }.map { .command($0) }
            }
            var check = HealthCheckSettings(probe: .command("true"))
            if let node = fields["timeout"], let value = reader.duration(node, fields.path("timeout")) { check.timeout = value }
            if let node = fields["retries"], let value = reader.integer(node, fields.path("retries"), maximum: 1000) { check.retries = value }
            if let node = fields["interval"], let value = reader.duration(node, fields.path("interval"), allowZero: true) { check.interval = value }
            if let probe {
                check.probe = probe
                checks.append(check)
            }
        }
        return checks
    }

    func readDrill(_ node: Node, _ path: KeyPath) -> DrillSettings {
        guard let fields = reader.mapping(node, path, keys: ["cadence", "scratch", "smoke"]) else { return DrillSettings() }
        var settings = DrillSettings()
        if let node = fields["cadence"], let cadence = reader.cadence(node, fields.path("cadence")) { settings.cadence = cadence }
        if let node = fields["scratch"], let directory = reader.word(node, fields.path("scratch"), what: "a directory") { settings.scratch = absolute(directory) }
        if let node = fields["smoke"] { settings.smoke = readHookList(node, fields.path("smoke")) }
        return settings
    }

    // MARK: ownership

    /// `outer` is `inner` or one of its ancestors.
    static func contains(_ outer: String, _ inner: String) -> Bool {
        let base = outer.hasSuffix("/") ? String(outer.dropLast()) : outer
        return inner == base || inner.hasPrefix(base + "/") || base.isEmpty
    }

}

extension PostgresSource {
    /// The database a `postgresql://…/DB` URL names; nil for a whole server.
    public static func databaseName(in url: String) -> String? {
        guard let scheme = url.range(of: "://") else { return nil }
        let rest = url[scheme.upperBound...]
        guard let slash = rest.firstIndex(of: "/") else { return nil }
        let name = rest[rest.index(after: slash)...].prefix { $0 != "?" }
        return name.isEmpty ? nil : (name.removingPercentEncoding ?? String(name))
    }
}

extension Array where Element == SourceSettings {
    /// The first paths source that backs up `path`.
    public func owning(path: String) -> SourceSettings? {
        first { source in
            guard case .paths(let paths) = source.kind else { return false }
            return paths.paths.contains { ConfigurationReader.contains($0, path) }
        }
    }

    /// The postgres source that dumps `database`: the one whose URL names it, else one that
    /// dumps every database of its server.
    public func dumping(database: String) -> SourceSettings? {
        let postgres = compactMap { source -> (SourceSettings, String?)? in
            guard case .postgres(let settings) = source.kind else { return nil }
            return (source, PostgresSource.databaseName(in: settings.url))
        }
        return postgres.first { $0.1 == database }?.0 ?? postgres.first { $0.1 == nil }?.0
    }
}
