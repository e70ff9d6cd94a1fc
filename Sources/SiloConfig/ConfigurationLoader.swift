import Foundation
import Yams

/// Finds, reads, parses and validates the configuration file.
public enum ConfigurationLoader {
    public static let defaultPath = "/etc/silo/silo.yaml"
    public static let environmentVariable = "SILO_CONFIG"

    /// What the checks beyond the shape look at.
    public struct Options: Sendable {
        /// Referenced files exist, password files and a file holding a literal secret are 0600.
        public var checkFiles: Bool

        public init(checkFiles: Bool = true) { self.checkFiles = checkFiles }
        public static let full = Options()
        /// The shape only: for examples in documentation, whose files are not on this machine.
        public static let shapeOnly = Options(checkFiles: false)
    }

    /// `--config FILE`, else `SILO_CONFIG` (when not empty), else /etc/silo/silo.yaml.
    public static func path(explicit: String?, environment: [String: String]) -> String {
        if let explicit { return explicit }
        if let variable = environment[environmentVariable], !variable.isEmpty { return variable }
        return defaultPath
    }

    public static func load(path: String, environment: [String: String] = ProcessInfo.processInfo.environment,
                            options: Options = .full) throws(ConfigurationError) -> Configuration {
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            let reason: String
            var status = stat()
            if stat(path, &status) != 0 {
                reason = errno == ENOENT ? "no such file (write one with `silo config init`, or name another with --config or SILO_CONFIG)" : String(cString: strerror(errno))
            } else if status.st_mode & S_IFMT == S_IFDIR {
                reason = "is a directory"
            } else if access(path, R_OK) != 0 {
                reason = String(cString: strerror(errno))
            } else {
                reason = "not UTF-8 text"
            }
            throw ConfigurationError([ConfigurationIssue(file: path, position: nil, keyPath: .root, message: "cannot read the configuration: \(reason)")])
        }
        return try parse(text, file: path, environment: environment, options: options)
    }

    /// Parses `text` as the content of `file` (relative paths are taken from its directory).
    public static func parse(_ text: String, file: String, environment: [String: String] = ProcessInfo.processInfo.environment,
                             options: Options = .full, isRoot: Bool = geteuid() == 0) throws(ConfigurationError) -> Configuration {
        let reader = NodeReader(file: file, environment: environment)
        let root: Node?
        do {
            root = try Yams.compose(yaml: text)
        } catch {
            throw ConfigurationError([syntaxIssue(error, file: file)])
        }
        guard let root else {
            throw ConfigurationError([ConfigurationIssue(file: file, position: nil, keyPath: .root, message: "the configuration is empty: it needs at least 'repository' and 'sources'")])
        }
        let directory = absoluteDirectory(of: file)
        var sections = ConfigurationReader(reader: reader, directory: directory, isRoot: isRoot)
        let configuration = sections.read(root)
        if options.checkFiles {
            FileChecks.check(sections.referencedFiles, reader: reader)
            FileChecks.checkConfigurationMode(file: file, reader: reader)
        }
        let issues = reader.issues.sorted { ($0.position?.line ?? 0, $0.position?.column ?? 0) < ($1.position?.line ?? 0, $1.position?.column ?? 0) }
        guard issues.isEmpty, let configuration else {
            throw ConfigurationError(issues.isEmpty ? [ConfigurationIssue(file: file, position: nil, keyPath: .root, message: "the configuration is invalid")] : issues)
        }
        return configuration
    }

    /// A YAML syntax error at its position, in one line.
    private static func syntaxIssue(_ error: Error, file: String) -> ConfigurationIssue {
        func issue(_ problem: String, _ mark: Mark?, _ context: YamlError.Context?) -> ConfigurationIssue {
            let position = mark.map { SourcePosition(line: $0.line, column: $0.column) }
            return ConfigurationIssue(file: file, position: position, keyPath: .root,
                                      message: "YAML syntax: \(problem)" + (context.map { " (\($0.text) at line \($0.mark.line))" } ?? ""))
        }
        switch error as? YamlError {
        case .scanner(let context, let problem, let mark, _)?: return issue(problem, mark, context)
        case .parser(let context, let problem, let mark, _)?: return issue(problem, mark, context)
        case .composer(let context, let problem, let mark, _)?: return issue(problem, mark, context)
        case .duplicatedKeysInMapping(let duplicates, let context)?:
            return issue("a key is given twice: \(duplicates.joined(separator: ", "))", context.mark, nil)
        case .reader(let problem, _, _, _)?: return issue(problem, nil, nil)
        default: return ConfigurationIssue(file: file, position: nil, keyPath: .root, message: "YAML syntax: \(String(describing: error).split(separator: "\n").first ?? "")")
        }
    }

    private static func absoluteDirectory(of file: String) -> String {
        let directory = (file as NSString).deletingLastPathComponent
        if directory.hasPrefix("/") { return directory }
        let current = FileManager.default.currentDirectoryPath
        return directory.isEmpty ? current : current + "/" + directory
    }
}
