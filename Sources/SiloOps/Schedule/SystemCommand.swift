import Foundation

/// Runs a system tool (systemctl, systemd-analyze) found on PATH and collects what it says.
/// Its output is small (a few lines), so it is read whole after the tool exits.
public enum SystemCommand {
    public struct Result: Sendable, Equatable {
        public var status: Int32
        public var output: String
        public var errorOutput: String

        /// The first line of what the tool said went wrong, for a one-line error.
        public var firstErrorLine: String {
            let text = errorOutput.isEmpty ? output : errorOutput
            return text.split(separator: "\n").first.map(String.init) ?? "exit status \(status)"
        }
    }

    /// The tool's absolute path on PATH (or the usual directories when PATH is unset), nil when
    /// absent; a path is taken as it is.
    public static func find(_ tool: String, environment: [String: String] = ProcessInfo.processInfo.environment) -> String? {
        if tool.contains("/") { return access(tool, X_OK) == 0 ? tool : nil }
        let path = environment["PATH"].flatMap { $0.isEmpty ? nil : $0 } ?? "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
        for directory in path.split(separator: ":") {
            let candidate = "\(directory)/\(tool)"
            if access(candidate, X_OK) == 0 { return candidate }
        }
        return nil
    }

    /// Runs `arguments` (the tool first, looked up on PATH). Throws only when it cannot be started.
    public static func run(_ arguments: [String], environment: [String: String] = ProcessInfo.processInfo.environment) throws -> Result {
        guard let tool = arguments.first, let executable = find(tool, environment: environment) else {
            throw OpsError(.schedule, "\(arguments.first ?? "") is not installed (not found on PATH)")
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = Array(arguments.dropFirst())
        process.environment = environment
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = FileHandle.nullDevice
        do {
            try process.run()
        } catch {
            throw OpsError(.schedule, "cannot run \(executable): \(error.localizedDescription)")
        }
        // Read both before waiting: a tool filling one pipe would otherwise never exit.
        let errorData = ReadAll(err.fileHandleForReading)
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        let errData = errorData.wait()
        process.waitUntilExit()
        return Result(status: process.terminationStatus, output: String(decoding: outData, as: UTF8.self),
                      errorOutput: String(decoding: errData, as: UTF8.self))
    }
}

/// Reads a pipe to its end on another thread.
private final class ReadAll: @unchecked Sendable {
    private let done = DispatchSemaphore(value: 0)
    private var data = Data()

    init(_ handle: FileHandle) {
        Thread.detachNewThread { [self] in
            data = handle.readDataToEndOfFile()
            done.signal()
        }
    }

    func wait() -> Data {
        done.wait()
        return data
    }
}
