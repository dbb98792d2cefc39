import Foundation

/// A topic declared in a file under `topics/` (Java properties, read by ``PropertiesText``:
/// comments are whole lines), one topic a file:
///
///     # comment
///     name=emr.raw.patients
///     # raw | deadletter | instances; raw topics name the Synthea entity they carry
///     role=raw
///     entity=patients
///     partitions=6
///     replication.factor=3
///     config.cleanup.policy=delete
///     config.retention.ms=-1
///
/// Lines starting `config.` are topic configs passed to the broker as they are.
public struct TopicDeclaration: Sendable, Hashable {
    public enum Role: String, Sendable, Hashable {
        case raw
        case deadletter
        /// Consumer instances' announcements (scale-out), compacted.
        case instances
    }

    public var name: String
    public var role: Role
    public var entity: String?
    public var partitions: Int32
    public var replicationFactor: Int32
    public var configs: [String: String]
    /// The file it was read from, for error messages.
    public var file: String

    public init(name: String, role: Role, entity: String?, partitions: Int32, replicationFactor: Int32, configs: [String: String], file: String) {
        self.name = name
        self.role = role
        self.entity = entity
        self.partitions = partitions
        self.replicationFactor = replicationFactor
        self.configs = configs
        self.file = file
    }

    /// Parses one declaration; errors name the file, line and field.
    public static func parse(_ text: String, file: String) throws(KafkaError) -> TopicDeclaration {
        var fields: [String: (value: String, line: Int)] = [:]
        var configs: [String: String] = [:]
        for entry in try PropertiesText.parse(text, file: file, kind: .topic) {
            if entry.key.hasPrefix("config.") {
                configs[String(entry.key.dropFirst("config.".count))] = entry.value
            } else {
                guard ["name", "role", "entity", "partitions", "replication.factor"].contains(entry.key) else {
                    throw KafkaError(.topic, message: "\(file):\(entry.line): unknown field '\(entry.key)'")
                }
                fields[entry.key] = (entry.value, entry.line)
            }
        }
        func required(_ key: String) throws(KafkaError) -> (value: String, line: Int) {
            guard let field = fields[key], !field.value.isEmpty else {
                throw KafkaError(.topic, message: "\(file): missing required field '\(key)'")
            }
            return field
        }
        func positive(_ key: String) throws(KafkaError) -> Int32 {
            let field = try required(key)
            guard let number = Int32(field.value), number > 0 else {
                throw KafkaError(.topic, message: "\(file):\(field.line): \(key) must be a positive integer, got '\(field.value)'")
            }
            return number
        }
        let roleField = try required("role")
        guard let role = Role(rawValue: roleField.value) else {
            throw KafkaError(.topic, message: "\(file):\(roleField.line): role must be raw, deadletter or instances, got '\(roleField.value)'")
        }
        let entity = fields["entity"]?.value
        if role == .raw && (entity ?? "").isEmpty {
            throw KafkaError(.topic, message: "\(file): a raw topic needs 'entity'")
        }
        return TopicDeclaration(
            name: try required("name").value,
            role: role,
            entity: entity,
            partitions: try positive("partitions"),
            replicationFactor: try positive("replication.factor"),
            configs: configs,
            file: file
        )
    }
}

/// Every topic declared under a directory (`*.properties` files), sorted by name.
public struct TopicCatalog: Sendable {
    public var topics: [TopicDeclaration]

    public init(topics: [TopicDeclaration]) {
        self.topics = topics.sorted { $0.name < $1.name }
    }

    /// Reads every `*.properties` file of `directory`; refuses duplicates and an empty directory.
    public static func load(directory: String) throws(KafkaError) -> TopicCatalog {
        let names: [String]
        do {
            names = try FileManager.default.contentsOfDirectory(atPath: directory).filter { $0.hasSuffix(".properties") }.sorted()
        } catch {
            throw KafkaError(.topic, message: "\(directory): cannot list topic declarations: \(error.localizedDescription)")
        }
        guard !names.isEmpty else { throw KafkaError(.topic, message: "\(directory): no *.properties topic declarations") }
        var files: [(file: String, text: String)] = []
        for name in names {
            let path = (directory as NSString).appendingPathComponent(name)
            guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
                throw KafkaError(.topic, message: "\(path): cannot read")
            }
            files.append((path, text))
        }
        return try TopicCatalog(parsing: files)
    }

    /// Parses declarations given as text (`file` names each in errors); refuses duplicates.
    public init(parsing files: [(file: String, text: String)]) throws(KafkaError) {
        var topics: [TopicDeclaration] = []
        for (file, text) in files {
            let topic = try TopicDeclaration.parse(text, file: file)
            if let other = topics.first(where: { $0.name == topic.name }) {
                throw KafkaError(.topic, message: "\(file): topic \(topic.name) is already declared in \(other.file)")
            }
            topics.append(topic)
        }
        self.init(topics: topics)
    }

    /// The raw topics, by entity.
    public var rawTopicsByEntity: [String: TopicDeclaration] {
        Dictionary(uniqueKeysWithValues: topics.filter { $0.role == .raw }.map { ($0.entity!, $0) })
    }

    /// The dead-letter topic, if declared.
    public var deadLetterTopic: TopicDeclaration? { topics.first { $0.role == .deadletter } }

    /// The topic where consumer instances announce themselves, if declared.
    public var instancesTopic: TopicDeclaration? { topics.first { $0.role == .instances } }
}
