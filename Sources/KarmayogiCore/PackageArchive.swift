import Foundation
import ZIPFoundation

/// A content package as uploaded: a ZIP archive whose every entry has been checked before anything is written —
/// no entry may leave its folder (`../`, absolute paths, symbolic links), and the archive may not unpack to more
/// entries, bytes or a higher compression ratio than the limits allow. What passes is read or unpacked with each
/// entry held to its declared size and checksum, so an archive that lies about itself stops at the first lie.
/// Unchecked Sendable: after its checks it is only read, by one task at a time (an import hands it on, never shares it).
public final class PackageArchive: @unchecked Sendable {
    public struct Limits: Sendable {
        public var entries: Int
        public var unpackedBytes: Int64
        /// Unpacked size over packed size, for the whole archive.
        public var ratio: Int64

        public init(entries: Int = 10_000, unpackedBytes: Int64 = 1 << 30, ratio: Int64 = 100) {
            self.entries = entries
            self.unpackedBytes = unpackedBytes
            self.ratio = ratio
        }

        public static let standard = Limits()
    }

    /// Why an archive was refused, in words for the person who sent it.
    public struct Refusal: Error, Equatable, Sendable, CustomStringConvertible {
        public var description: String
        public init(_ description: String) { self.description = description }
    }

    /// The files of the archive (folders are implied by their paths), each by its normalised path.
    public private(set) var files: [String: Entry] = [:]
    public let unpackedBytes: Int64
    private let archive: Archive
    private let limits: Limits

    /// Opens and checks `data`. Throws `Refusal` for anything that is not a safe ZIP archive within `limits`.
    public init(data: Data, limits: Limits = .standard) throws(Refusal) {
        guard data.starts(with: [0x50, 0x4B, 0x03, 0x04]) || data.starts(with: [0x50, 0x4B, 0x05, 0x06]) else { throw Refusal("is not a ZIP archive") }
        // The structure is checked here first: the ZIP library traps on some damaged archives.
        try ZipStructure.check(data)
        guard let archive = try? Archive(data: data, accessMode: .read, pathEncoding: nil) else { throw Refusal("is not a ZIP archive") }
        self.archive = archive
        self.limits = limits
        var count = 0
        var unpacked: Int64 = 0
        var packed: Int64 = 0
        for entry in archive {
            count += 1
            if count > limits.entries { throw Refusal("holds more than \(limits.entries) entries") }
            let raw = entry.path
            guard let path = Self.normalised(raw) else {
                throw Refusal("its entry \(Self.quoted(raw)) would be written outside the package's folder")
            }
            switch entry.type {
            case .symlink: throw Refusal("its entry \(Self.quoted(raw)) is a symbolic link; a package may hold only files and folders")
            case .directory: continue
            case .file: break
            }
            if files[path] != nil { throw Refusal("holds \(Self.quoted(path)) twice") }
            unpacked += Int64(clamping: entry.uncompressedSize)
            packed += Int64(clamping: entry.compressedSize)
            if unpacked > limits.unpackedBytes { throw Refusal("would unpack to more than \(Self.size(limits.unpackedBytes))") }
            files[path] = entry
        }
        if count == 0 { throw Refusal("is an empty ZIP archive") }
        if unpacked > limits.ratio * max(packed, 1) && unpacked > 1 << 20 {
            throw Refusal("unpacks to more than \(limits.ratio) times its packed size, as a ZIP bomb does")
        }
        unpackedBytes = unpacked
    }

    /// The path an entry would be written at, relative to the package's folder, or nil when it would leave it
    /// (a `..` step, an absolute path, a drive letter, a NUL) or names nothing.
    public static func normalised(_ path: String) -> String? {
        if path.contains("\0") || path.hasPrefix("/") || path.hasPrefix("\\") { return nil }
        let parts = path.split(separator: "/", omittingEmptySubsequences: false).flatMap { $0.split(separator: "\\", omittingEmptySubsequences: false) }
        if let first = parts.first, first.count == 2, first.last == ":" { return nil }
        var kept: [Substring] = []
        for part in parts where !part.isEmpty && part != "." {
            if part == ".." { return nil }
            kept.append(part)
        }
        return kept.isEmpty ? nil : kept.joined(separator: "/")
    }

    public func contains(_ path: String) -> Bool { files[path] != nil }

    /// The bytes of the file at `path`, held to its declared size and checksum.
    public func read(_ path: String) throws(Refusal) -> Data {
        guard let entry = files[path] else { throw Refusal("holds no \(Self.quoted(path))") }
        var data = Data()
        try extract(entry, path: path) { data.append($0) }
        return data
    }

    /// Writes every file whose path starts with `prefix` under `folder` (without the prefix), creating folders as
    /// needed. `progress` hears the bytes written so far.
    public func unpack(to folder: URL, prefix: String = "", progress: (Int64) -> Void = { _ in }) throws {
        let manager = FileManager.default
        var written: Int64 = 0
        for (path, entry) in files.sorted(by: { $0.key < $1.key }) where path.hasPrefix(prefix) && path.count > prefix.count {
            let target = folder.appendingPathComponent(String(path.dropFirst(prefix.count)))
            guard target.standardizedFileURL.path.hasPrefix(folder.standardizedFileURL.path + "/") else {
                throw Refusal("its entry \(Self.quoted(path)) would be written outside the package's folder")
            }
            try manager.createDirectory(at: target.deletingLastPathComponent(), withIntermediateDirectories: true)
            guard manager.createFile(atPath: target.path, contents: nil), let handle = FileHandle(forWritingAtPath: target.path) else {
                throw Refusal("its entry \(Self.quoted(path)) could not be written")
            }
            defer { try? handle.close() }
            try extract(entry, path: path) { chunk in
                handle.write(chunk)
                written += Int64(chunk.count)
            }
            progress(written)
        }
    }

    private func extract(_ entry: Entry, path: String, into consume: (Data) -> Void) throws(Refusal) {
        var seen: UInt64 = 0
        let declared = entry.uncompressedSize
        do {
            let checksum = try archive.extract(entry, skipCRC32: false) { chunk in
                seen += UInt64(chunk.count)
                if seen > declared { throw Refusal("its entry \(Self.quoted(path)) unpacks to more than the \(declared) bytes it declares") }
                consume(chunk)
            }
            if seen != declared || checksum != entry.checksum { throw Refusal("its entry \(Self.quoted(path)) is damaged (its size or checksum does not match)") }
        } catch let refusal as Refusal {
            throw refusal
        } catch {
            throw Refusal("its entry \(Self.quoted(path)) could not be read: the archive is damaged")
        }
    }

    static func quoted(_ path: String) -> String { "‘\(String(path.prefix(120)))’" }

    static func size(_ bytes: Int64) -> String {
        bytes >= 1 << 30 && bytes % (1 << 30) == 0 ? "\(bytes >> 30) GiB" : bytes >= 1 << 20 ? "\(bytes >> 20) MiB" : "\(bytes) bytes"
    }
}

/// A ZIP archive's structure, checked byte by byte before the ZIP library reads it: the end record, every central
/// directory entry and every local header within the archive and agreeing with each other, extra fields well formed,
/// only stored or deflated entries, no encryption, no ZIP64 (a package is far below 4 GiB).
enum ZipStructure {
    static func check(_ data: Data) throws(PackageArchive.Refusal) {
        let bytes = [UInt8](data)
        let count = bytes.count
        func u16(_ at: Int) -> Int { Int(bytes[at]) | Int(bytes[at + 1]) << 8 }
        func u32(_ at: Int) -> Int { u16(at) | u16(at + 2) << 16 }
        let damaged = PackageArchive.Refusal("is a damaged ZIP archive")
        guard count >= 22 else { throw damaged }
        // The end of central directory record: within the last 64 KiB + 22 bytes, its comment running to the end.
        var end = -1
        var at = count - 22
        while at >= max(0, count - 22 - 65_535) {
            if bytes[at] == 0x50, bytes[at + 1] == 0x4B, bytes[at + 2] == 0x05, bytes[at + 3] == 0x06, at + 22 + u16(at + 20) == count {
                end = at
                break
            }
            at -= 1
        }
        guard end >= 0 else { throw damaged }
        let entries = u16(end + 10), directorySize = u32(end + 12), directoryStart = u32(end + 16)
        if entries == 0xFFFF || directorySize == 0xFFFF_FFFF || directoryStart == 0xFFFF_FFFF {
            throw PackageArchive.Refusal("is a ZIP64 archive; send a plain ZIP archive (a package is far below 4 GiB)")
        }
        guard u16(end + 4) == 0, u16(end + 6) == 0, u16(end + 8) == entries, directoryStart + directorySize <= end else { throw damaged }
        var cursor = directoryStart
        for _ in 0..<entries {
            guard cursor + 46 <= directoryStart + directorySize, u32(cursor) == 0x0201_4B50 else { throw damaged }
            let flags = u16(cursor + 8), method = u16(cursor + 10)
            let packed = u32(cursor + 20), unpacked = u32(cursor + 24)
            let nameLength = u16(cursor + 28), extraLength = u16(cursor + 30), commentLength = u16(cursor + 32)
            let local = u32(cursor + 42)
            let next = cursor + 46 + nameLength + extraLength + commentLength
            guard next <= directoryStart + directorySize else { throw damaged }
            if flags & 1 != 0 { throw PackageArchive.Refusal("holds an encrypted entry; send the package unencrypted") }
            guard method == 0 || method == 8 else { throw PackageArchive.Refusal("holds an entry compressed in a way other than deflate") }
            guard packed != 0xFFFF_FFFF, unpacked != 0xFFFF_FFFF, local != 0xFFFF_FFFF else {
                throw PackageArchive.Refusal("is a ZIP64 archive; send a plain ZIP archive (a package is far below 4 GiB)")
            }
            if method == 0, packed != unpacked { throw damaged }
            try extras(bytes, from: cursor + 46 + nameLength, length: extraLength)
            // The entry's local header, and its data, before the central directory.
            guard local + 30 <= directoryStart, u32(local) == 0x0403_4B50 else { throw damaged }
            let localName = u16(local + 26), localExtra = u16(local + 28)
            guard localName == nameLength, local + 30 + localName + localExtra + packed <= directoryStart else { throw damaged }
            guard bytes[(local + 30)..<(local + 30 + localName)] == bytes[(cursor + 46)..<(cursor + 46 + nameLength)] else { throw damaged }
            try extras(bytes, from: local + 30 + localName, length: localExtra)
            cursor = next
        }
    }

    /// Extra fields: each a header and its data, filling the space exactly; none of ZIP64's.
    static func extras(_ bytes: [UInt8], from start: Int, length: Int) throws(PackageArchive.Refusal) {
        var at = start
        while at < start + length {
            guard at + 4 <= start + length else { throw PackageArchive.Refusal("is a damaged ZIP archive") }
            let id = Int(bytes[at]) | Int(bytes[at + 1]) << 8, size = Int(bytes[at + 2]) | Int(bytes[at + 3]) << 8
            if id == 0x0001 { throw PackageArchive.Refusal("is a ZIP64 archive; send a plain ZIP archive (a package is far below 4 GiB)") }
            at += 4 + size
            guard at <= start + length else { throw PackageArchive.Refusal("is a damaged ZIP archive") }
        }
    }
}
