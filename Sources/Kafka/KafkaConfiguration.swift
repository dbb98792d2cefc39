import Foundation

/// Connection settings shared by producers, consumers and admin clients: the bootstrap servers
/// plus any librdkafka property passed through unchanged (SASL, TLS, timeouts, ...).
///
/// Properties can come from code, from a Java-style properties file (`key=value`, `#` comments)
/// and from environment variables `EMR_KAFKA_<PROPERTY>` where `_` stands for `.`
/// (`EMR_KAFKA_SECURITY_PROTOCOL=SASL_SSL` sets `security.protocol`). Secrets are never printed:
/// use ``redactedDescription`` for logs.
public struct KafkaConfiguration: Sendable, Equatable {
    /// Comma-separated `host:port` list.
    public var bootstrapServers: String
    /// librdkafka properties, applied after the client's own defaults (so they win).
    public var properties: [String: String]

    public static let defaultBrokers = "localhost:9092"
    public static let environmentPrefix = "EMR_KAFKA_"

    public init(bootstrapServers: String = KafkaConfiguration.defaultBrokers, properties: [String: String] = [:]) {
        self.bootstrapServers = bootstrapServers
        self.properties = properties
    }

    /// Reads `EMR_KAFKA_*` variables and, if `EMR_KAFKA_PROPERTIES_FILE` is set, that file first
    /// (variables override the file).
    public static func fromEnvironment(
        bootstrapServers: String,
        environment: [String: String] = ProcessInfo.processInfo.environment
    ) throws(KafkaError) -> KafkaConfiguration {
        var config = KafkaConfiguration(bootstrapServers: bootstrapServers)
        if let file = environment["\(environmentPrefix)PROPERTIES_FILE"], !file.isEmpty {
            try config.merge(propertiesFile: file)
        }
        for (name, value) in environment where name.hasPrefix(environmentPrefix) {
            let suffix = name.dropFirst(environmentPrefix.count)
            // An empty variable counts as unset (compose files pass optional ones through empty).
            guard suffix != "PROPERTIES_FILE", !suffix.isEmpty, !value.isEmpty else { continue }
            config.properties[suffix.lowercased().replacingOccurrences(of: "_", with: ".")] = value
        }
        return config
    }

    /// Adds the properties of a Java-style properties file; errors name the file and line.
    public mutating func merge(propertiesFile path: String) throws(KafkaError) {
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw KafkaError(.configuration, message: "\(path): cannot read properties file: \(error.localizedDescription)")
        }
        for entry in try PropertiesText.parse(text, file: path, kind: .configuration) { properties[entry.key] = entry.value }
    }

    /// Adds `key=value` assignments (as given with `--kafka-property`).
    public mutating func merge(assignments: [String]) throws(KafkaError) {
        for assignment in assignments {
            guard let eq = assignment.firstIndex(of: "="), eq != assignment.startIndex else {
                throw KafkaError(.configuration, message: "kafka property '\(assignment)': expected key=value")
            }
            properties[String(assignment[..<eq])] = String(assignment[assignment.index(after: eq)...])
        }
    }

    /// Whether a property holds a secret that must never be printed or logged.
    public static func isSecret(_ name: String) -> Bool {
        let lower = name.lowercased()
        return ["password", "secret", "jaas", "token", "oauthbearer.config", "key.pem", "certificate.pem", "credentials"]
            .contains { lower.contains($0) }
    }

    /// The settings with every secret value replaced by `[redacted]`, sorted by name.
    public var redactedDescription: String {
        var parts = ["bootstrap.servers=\(bootstrapServers)"]
        for name in properties.keys.sorted() {
            parts.append("\(name)=\(Self.isSecret(name) ? "[redacted]" : properties[name]!)")
        }
        return parts.joined(separator: " ")
    }
}
