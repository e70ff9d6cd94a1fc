import Foundation
import SiloConfig
import SiloOps

/// A service stop or start that did not succeed.
public struct ServiceFailure: Error, Sendable, CustomStringConvertible {
    public let service: String
    public let message: String
    public var description: String { "service \(service): \(message)" }
}

/// Stops, starts and asks about one service the way its configuration says: through
/// `systemctl`'s command-line contract, PM2's (`pm2 stop|restart NAME`, `pm2 jlist`), or the
/// user's own commands. Every command runs with the service's timeout, in a process group
/// killed whole when it outlives it (`HookRunner`).
public struct ServiceControl: Sendable {
    public let settings: ServiceSettings
    /// Added to silo's own environment (tests put stand-ins for systemctl and pm2 first on PATH).
    public let environment: [String: String]

    public init(_ settings: ServiceSettings, environment: [String: String] = [:]) {
        self.settings = settings
        self.environment = environment
    }

    private var merged: [String: String] { ProcessInfo.processInfo.environment.merging(environment) { $1 } }

    /// The first program a command of this service needs that cannot be found; nil when all are
    /// there. A restore refuses its plan on one: better at plan time than with services stopped.
    public func missingProgram() -> String? {
        let programs: [String]
        switch settings.control {
        case .systemd: programs = ["systemctl"]
        case .pm2: programs = ["pm2"]
        case .commands(let start, let stop, let status): programs = [start, stop, status].compactMap { $0 }.compactMap(Self.program)
        }
        return programs.first { SystemCommand.find($0, environment: merged) == nil && !Self.shellBuiltins.contains($0) }
    }

    public func stop() throws(ServiceFailure) {
        switch settings.control {
        case .systemd(let unit): try run("systemctl stop -- \(Self.quote(unit))", "stop")
        case .pm2(let process): try run("pm2 stop \(Self.quote(process))", "stop")
        case .commands(_, let stop, _): try run(stop, "stop")
        }
    }

    public func start() throws(ServiceFailure) {
        switch settings.control {
        case .systemd(let unit): try run("systemctl start -- \(Self.quote(unit))", "start")
        // `restart` starts a stopped process of PM2's list and restarts a running one.
        case .pm2(let process): try run("pm2 restart \(Self.quote(process))", "start")
        case .commands(let start, _, _): try run(start, "start")
        }
    }

    /// Whether the service runs now: nil when its control cannot tell (commands without `status`).
    public func isRunning() -> Bool? {
        switch settings.control {
        case .systemd(let unit):
            guard let result = try? SystemCommand.run(["systemctl", "is-active", "--quiet", unit], environment: merged) else { return nil }
            return result.status == 0
        case .pm2(let process):
            guard let result = try? SystemCommand.run(["pm2", "jlist"], environment: merged), result.status == 0,
                  let list = try? PM2ProcessList(json: result.output) else { return nil }
            return list.status(of: process).map { $0 == "online" } ?? false
        case .commands(_, _, let status):
            guard let status else { return nil }
            return HookRunner.run(Hook(command: status, timeout: "\(max(1, settings.timeout.components.seconds))s"), environment: environment) == .succeeded
        }
    }

    private func run(_ command: String, _ action: String) throws(ServiceFailure) {
        let result = HookRunner.run(Hook(command: command, timeout: "\(max(1, settings.timeout.components.seconds))s"), environment: environment)
        guard result == .succeeded else {
            throw ServiceFailure(service: settings.name, message: "\(action) (\(command)) \(result.description)")
        }
    }

    static let shellBuiltins: Set<String> = ["true", "false", ":", "exit", "test", "[", "echo", "cd", "exec", "kill", "sleep", "printf"]

    /// The program a shell command starts: its first word after variable assignments and `exec`.
    static func program(_ command: String) -> String? {
        for word in command.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init) {
            let name = word.prefix { $0 != "=" }
            let isAssignment = name.count < word.count && !name.isEmpty && name.allSatisfy { $0.isLetter || $0.isNumber || $0 == "_" }
            if word == "exec" || isAssignment { continue }
            return word
        }
        return nil
    }

    static func quote(_ word: String) -> String { "'" + word.replacingOccurrences(of: "'", with: "'\\''") + "'" }
}
