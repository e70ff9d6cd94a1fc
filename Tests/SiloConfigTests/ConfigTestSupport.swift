import Foundation
import XCTest
@testable import SiloConfig

/// A scratch directory for configuration files and the files they name.
final class ConfigScratch {
    let directory: String

    init() throws {
        directory = NSTemporaryDirectory() + "silo-config-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(atPath: directory) }

    func path(_ name: String) -> String { directory + "/" + name }

    @discardableResult
    func write(_ name: String, _ text: String, mode: Int = 0o600) throws -> String {
        let file = path(name)
        try FileManager.default.createDirectory(atPath: (file as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try text.write(toFile: file, atomically: false, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: mode], ofItemAtPath: file)
        return file
    }

    /// A configuration with a password file that passes the checks, plus `extra` YAML.
    func configuration(_ yaml: String, mode: Int = 0o600) throws -> String {
        try write("repository.password", "secret\n")
        return try write("silo.yaml", yaml, mode: mode)
    }
}

/// The issues of a configuration that must fail, or a test failure.
func issues(of file: String, environment: [String: String] = [:], file testFile: StaticString = #filePath, line: UInt = #line) -> [ConfigurationIssue] {
    do {
        _ = try ConfigurationLoader.load(path: file, environment: environment)
        XCTFail("the configuration loaded", file: testFile, line: line)
        return []
    } catch {
        return error.issues
    }
}

/// The repository section every test configuration starts with.
let minimalRepository = """
    repository:
      location: /backup/silo
      password_file: repository.password

    """
