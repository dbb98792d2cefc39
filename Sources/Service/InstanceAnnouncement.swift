import Foundation

/// What a consumer instance says about itself on the instances topic (key: `instance`): where
/// its HTTP API answers and which tasks it owns. Republished every few seconds; a null value
/// (tombstone) when it stops. An announcement older than ``staleAfterMs`` is from an instance
/// that died without saying so.
public struct InstanceAnnouncement: Codable, Sendable, Equatable {
    public var instance: String
    /// Base URL of the instance's HTTP API, e.g. `http://emr-consumer-1:8080`.
    public var url: String
    public var group: String
    /// Tasks (``TaskFiles`` names) of its assigned partitions when announced.
    public var tasks: [String]
    /// Milliseconds since the epoch.
    public var at: Int64

    public static let staleAfterMs: Int64 = 30_000

    public init(instance: String, url: String, group: String, tasks: [String], at: Int64) {
        self.instance = instance
        self.url = url
        self.group = group
        self.tasks = tasks
        self.at = at
    }

    public var encoded: [UInt8] { Array((try? JSONEncoder.sorted.encode(self)) ?? Data()) }

    public static func decode(_ bytes: [UInt8]) -> InstanceAnnouncement? {
        try? JSONDecoder().decode(InstanceAnnouncement.self, from: Data(bytes))
    }
}

extension JSONEncoder {
    static var sorted: JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }
}

/// One task as an instance reports it on `GET /api/v1/tasks`: its name and how far it is
/// (the sum of its stored next offsets), so a reader takes the furthest copy of each task.
public struct TaskProgress: Codable, Sendable, Equatable {
    public var name: String
    public var progress: Int64

    public init(name: String, progress: Int64) {
        self.name = name
        self.progress = progress
    }
}
