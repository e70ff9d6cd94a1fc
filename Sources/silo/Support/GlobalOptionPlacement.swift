import ArgumentParser

/// restic users type global options before the command (`silo -r REPO snapshots`,
/// `silo --json -q backup …`). swift-argument-parser only accepts a command's options after
/// its name, and the global options belong to each command (`@OptionGroup GlobalOptions`),
/// not to the root, which runs nothing. So before parsing, the global options found before the
/// command are moved to just after its full name (`key passwd`), where the parser expects them.
/// The same option before and after is refused: which one was meant cannot be known.
///
/// The command's name is checked here too, since the parser would call a misspelt one an
/// "unexpected argument": an unknown command (or `silo help UNKNOWN`) is a usage error with
/// a did-you-mean.
enum GlobalOptionPlacement {
    struct Option {
        let names: [String]
        /// nil for a flag.
        let valueName: String?
        let help: String
    }

    /// The options of `GlobalOptions`, for moving them and for `silo --help`.
    static let options: [Option] = [
        Option(names: ["-r", "--repo"], valueName: "LOCATION", help: "repository: a directory or s3:URL"),
        Option(names: ["--password-file"], valueName: "FILE", help: "read the password from FILE"),
        Option(names: ["--password-command"], valueName: "CMD", help: "run CMD (sh -c); its first line is the password"),
        Option(names: ["--cache-dir"], valueName: "DIR", help: "directory of the local catalog cache"),
        Option(names: ["--cacert"], valueName: "FILE", help: "trust only the CAs in this PEM file for https://"),
        Option(names: ["--config"], valueName: "FILE", help: "the configuration file (docs/CONFIG.md)"),
        Option(names: ["--json"], valueName: nil, help: "one JSON object per line (docs/JSON.md)"),
        Option(names: ["-q", "--quiet"], valueName: nil, help: "print only results and errors"),
    ]

    /// `arguments` (without the program name) in the order the parser accepts.
    static func arrange(_ arguments: [String], root: ParsableCommand.Type) throws -> [String] {
        var index = 0
        var moved: [(option: Option, tokens: [String])] = []
        while index < arguments.count, let option = option(matching: arguments[index]) {
            var tokens = [arguments[index]]
            if option.valueName != nil && !arguments[index].contains("=") {
                guard index + 1 < arguments.count else { throw UsageError(message: "\(option.names.joined(separator: "/")) needs a value") }
                tokens.append(arguments[index + 1])
                index += 1
            }
            moved.append((option, tokens))
            index += 1
        }
        // `silo --json --help`, `silo -q` and the like: nothing to move, the parser answers.
        guard index < arguments.count, !arguments[index].hasPrefix("-") else { return arguments }

        let path = try commandPath(arguments[index...], root: root)
        let rest = Array(arguments[(index + path.count)...])
        let afterCommand = rest.prefix { $0 != "--" }
        for (option, _) in moved {
            if afterCommand.contains(where: { self.option(matching: $0)?.names == option.names }) {
                throw UsageError(message: "\(option.names.joined(separator: "/")) is given both before and after the command; give it once")
            }
        }
        let seen = moved.map(\.option.names)
        if let twice = seen.enumerated().first(where: { seen[..<$0.offset].contains($0.element) }) {
            throw UsageError(message: "\(twice.element.joined(separator: "/")) is given twice before the command; give it once")
        }
        return path + moved.flatMap(\.tokens) + rest
    }

    private static func option(matching token: String) -> Option? {
        let name = token.split(separator: "=", maxSplits: 1).first.map(String.init) ?? token
        return options.first { $0.names.contains(name) && ($0.valueName != nil || !token.contains("=")) }
    }

    /// The words naming the command (`["key", "passwd"]`), checked against the command tree.
    private static func commandPath(_ words: ArraySlice<String>, root: ParsableCommand.Type) throws -> [String] {
        if words.first == "help" {
            // `silo help key passwd`: every word must name a command; options end the path.
            var command = root
            for word in words.dropFirst() where !word.hasPrefix("-") {
                guard let child = subcommand(named: word, of: command) else { throw unknown(word, in: command) }
                command = child
            }
            return ["help"]
        }
        var command = root
        var path: [String] = []
        for word in words {
            guard !word.hasPrefix("-") else { break }
            if let child = subcommand(named: word, of: command) {
                command = child
                path.append(word)
                continue
            }
            // A command with subcommands and nothing to run of its own (`key`) needs one of them;
            // any other word is the command's own argument.
            if !command.configuration.subcommands.isEmpty && command.configuration.defaultSubcommand == nil {
                throw unknown(word, in: command)
            }
            break
        }
        return path
    }

    private static func subcommand(named word: String, of command: ParsableCommand.Type) -> ParsableCommand.Type? {
        command.configuration.subcommands.first { names(of: $0).contains(word) }
    }

    private static func names(of command: ParsableCommand.Type) -> [String] {
        [command._commandName] + command.configuration.aliases
    }

    private static func unknown(_ word: String, in command: ParsableCommand.Type) -> UsageError {
        let scope = command._commandName == Silo._commandName ? "silo" : "silo \(command._commandName)"
        var closest: String?
        var closestDistance = Int.max
        for candidate in command.configuration.subcommands.map({ $0._commandName }) {
            let distance = EditDistance.between(word, candidate)
            if distance < closestDistance { (closest, closestDistance) = (candidate, distance) }
        }
        if let closest, closestDistance <= max(1, min(3, word.count / 3)) {
            return UsageError(message: "unknown command '\(word)'; did you mean '\(closest)'? (see '\(scope) --help')")
        }
        return UsageError(message: "unknown command '\(word)' (see '\(scope) --help')")
    }
}

/// Levenshtein distance, for did-you-mean suggestions.
enum EditDistance {
    static func between(_ a: String, _ b: String) -> Int {
        let a = Array(a), b = Array(b)
        guard !a.isEmpty else { return b.count }
        guard !b.isEmpty else { return a.count }
        var previous = Array(0...b.count)
        for i in 1...a.count {
            var current = [i] + Array(repeating: 0, count: b.count)
            for j in 1...b.count {
                current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
            }
            previous = current
        }
        return previous[b.count]
    }
}
