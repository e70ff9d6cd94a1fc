import Foundation
import XCTest

/// Runs the real `silo` binary, as users and cron do.
struct CLIResult {
    let status: Int32
    let stdout: String
    let stderr: String
    var jsonLines: [[String: Any]] {
        stdout.split(separator: "\n").compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
    }
}

final class CLIEnvironment {
    let root: String
    var repo: String { root + "/repo" }
    var environment: [String: String]

    static var binary: String {
        if let path = ProcessInfo.processInfo.environment["SILO_BINARY"] { return path }
        let directory = Bundle.main.bundleURL.path.hasSuffix(".xctest")
            ? (Bundle.main.bundleURL.path as NSString).deletingLastPathComponent
            : Bundle.main.bundleURL.path
        return directory + "/silo"
    }

    init() throws {
        root = NSTemporaryDirectory() + "silo-cli-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        environment = [
            "PATH": ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin",
            "HOME": root,
            "SILO_REPOSITORY": root + "/repo",
            "SILO_PASSWORD": "correct horse",
            "SILO_CACHE_DIR": root + "/cache",
            // Never the real /var/lib/silo (the tests run as root).
            "SILO_STATE_DIR": root + "/state",
            "SILO_TEST_SCRYPT_N": "1024",
        ]
    }

    deinit { try? FileManager.default.removeItem(atPath: root) }

    func path(_ relative: String) -> String { root + "/" + relative }

    @discardableResult
    func run(_ arguments: [String], environment extra: [String: String] = [:], as user: String? = nil) throws -> CLIResult {
        let process = Process()
        if let user {
            process.executableURL = URL(fileURLWithPath: "/usr/sbin/runuser")
            process.arguments = ["-u", user, "--", Self.binary] + arguments
        } else {
            process.executableURL = URL(fileURLWithPath: Self.binary)
            process.arguments = arguments
        }
        process.environment = environment.merging(extra) { _, new in new }
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = FileHandle.nullDevice
        try process.run()
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        let errData = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return CLIResult(status: process.terminationStatus, stdout: String(decoding: outData, as: UTF8.self),
                         stderr: String(decoding: errData, as: UTF8.self))
    }

    /// Runs and fails the test unless the exit status is the expected one.
    @discardableResult
    func expect(_ status: Int32, _ arguments: [String], environment extra: [String: String] = [:],
                file: StaticString = #filePath, line: UInt = #line) throws -> CLIResult {
        let result = try run(arguments, environment: extra)
        XCTAssertEqual(result.status, status, "silo \(arguments.joined(separator: " ")):\n\(result.stdout)\n\(result.stderr)", file: file, line: line)
        return result
    }

    func write(_ relative: String, _ data: Data) throws {
        let full = path(relative)
        try FileManager.default.createDirectory(atPath: (full as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        XCTAssertTrue(FileManager.default.createFile(atPath: full, contents: data))
    }

    func shell(_ command: String) throws -> Int32 {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = ["-c", command]
        try process.run()
        process.waitUntilExit()
        return process.terminationStatus
    }
}

func text(_ count: Int, seed: Int) -> Data {
    var s = ""
    var i = seed
    while s.utf8.count < count {
        s += "row \(i)\tcustomer-\(i % 977)\t\(i * 31 % 10007)\tstatus=active\n"
        i += 1
    }
    return Data(s.utf8.prefix(count))
}

/// The content of every regular file under a directory, keyed by relative path.
func contentDigests(_ root: String) -> [String: Data] {
    var result: [String: Data] = [:]
    let base = URL(fileURLWithPath: root).resolvingSymlinksInPath().path
    guard let e = FileManager.default.enumerator(atPath: base) else { return result }
    while let relative = e.nextObject() as? String {
        var isDir: ObjCBool = false
        let full = base + "/" + relative
        if FileManager.default.fileExists(atPath: full, isDirectory: &isDir), !isDir.boolValue,
           let data = FileManager.default.contents(atPath: full) {
            result[relative] = data
        }
    }
    return result
}
