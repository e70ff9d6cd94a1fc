/// `services` and `drill` as `config show` prints them: every default written out.
extension ServiceSettings {
    var effectiveValue: ConfigValue {
        var pairs: [(key: String, value: ConfigValue)] = [("priority", .string(priority.rawValue))]
        switch control {
        case .systemd(let unit): pairs.append(("systemd", .string(unit)))
        case .pm2(let process): pairs.append(("pm2", .string(process)))
        case .commands(let start, let stop, let status):
            var commands: [(key: String, value: ConfigValue)] = [("start", .string(start)), ("stop", .string(stop))]
            if let status { commands.append(("status", .string(status))) }
            pairs.append(("commands", .mapping(commands)))
        }
        pairs.append(("timeout", .string(Quantities.durationSpelling(timeout))))
        pairs.append(("keep_running", .boolean(keepRunning)))
        if !health.isEmpty { pairs.append(("health", .list(health.map(\.effectiveValue)))) }
        if !paths.isEmpty { pairs.append(("paths", .list(paths.map(ConfigValue.string)))) }
        if !databases.isEmpty { pairs.append(("databases", .list(databases.map(ConfigValue.string)))) }
        return .mapping(pairs)
    }
}

extension HealthCheckSettings {
    var effectiveValue: ConfigValue {
        var pairs: [(key: String, value: ConfigValue)]
        switch probe {
        case .http(let url, let status, let body):
            pairs = [("http", .string(url)), ("status", .integer(status))]
            if let body { pairs.append(("body", .string(body))) }
        case .tcp(let host, let port): pairs = [("tcp", .string(host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"))]
        case .command(let command): pairs = [("command", .string(command))]
        }
        pairs += [("timeout", .string(Quantities.durationSpelling(timeout))), ("retries", .integer(retries)),
                  ("interval", .string(Quantities.durationSpelling(interval)))]
        return .mapping(pairs)
    }
}

extension DrillSettings {
    var effectiveValue: ConfigValue {
        var pairs: [(key: String, value: ConfigValue)] = [("cadence", .string(cadence.spelling))]
        if let scratch { pairs.append(("scratch", .string(scratch))) }
        if !smoke.isEmpty {
            pairs.append(("smoke", .list(smoke.map { .mapping([("command", .string($0.command)), ("timeout", .string($0.timeoutSpelling))]) })))
        }
        return .mapping(pairs)
    }
}
