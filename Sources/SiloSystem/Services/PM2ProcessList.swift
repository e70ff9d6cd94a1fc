import Foundation

/// What `pm2 jlist` prints: a JSON array of processes, each with `name`, `pm_id`, `pid` and
/// `pm2_env.status` (`online`, `stopping`, `stopped`, `launching`, `errored`, `one-launch-status`),
/// as PM2's documentation gives it. Only the name and status are read.
struct PM2ProcessList {
    private struct Process: Decodable {
        struct Environment: Decodable { let status: String? }
        let name: String
        let pm2_env: Environment?
    }

    private let processes: [(name: String, status: String)]

    init(json: String) throws {
        processes = try JSONDecoder().decode([Process].self, from: Data(json.utf8)).map { ($0.name, $0.pm2_env?.status ?? "unknown") }
    }

    /// The status of the process named `name`; nil when PM2 does not list it.
    func status(of name: String) -> String? { processes.first { $0.name == name }?.status }
}
