#include "strategy/ElfCheck.hpp"

#include <elf.h>
#include <fcntl.h>
#include <link.h>  // ElfW(): the ELF types of this process's class
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <bit>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <vector>

namespace kappa {
namespace {

#if defined(__x86_64__)
constexpr int kMachine = EM_X86_64;
constexpr const char* kMachineName = "x86-64";
#elif defined(__aarch64__)
constexpr int kMachine = EM_AARCH64;
constexpr const char* kMachineName = "AArch64";
#elif defined(__i386__)
constexpr int kMachine = EM_386;
constexpr const char* kMachineName = "i386";
#elif defined(__riscv)
constexpr int kMachine = EM_RISCV;
constexpr const char* kMachineName = "RISC-V";
#else
#error "checkSharedObject: add this machine's EM_ value"
#endif

using Ehdr = ElfW(Ehdr);
using Phdr = ElfW(Phdr);
using Shdr = ElfW(Shdr);
using Dyn = ElfW(Dyn);
using Addr = ElfW(Addr);

std::string range(std::uint64_t from, std::uint64_t size) {
  return "bytes " + std::to_string(from) + ".." + std::to_string(from + size);
}

// [offset, offset + size) inside [0, fileSize), without overflowing.
bool inside(std::uint64_t offset, std::uint64_t size, std::uint64_t fileSize) {
  return offset <= fileSize && size <= fileSize - offset;
}

class File {
 public:
  explicit File(const std::string& path) : fd_(::open(path.c_str(), O_RDONLY | O_CLOEXEC)) {}
  ~File() {
    if (fd_ >= 0) ::close(fd_);
  }
  File(const File&) = delete;
  File& operator=(const File&) = delete;
  int fd() const { return fd_; }
  // Exactly `size` bytes at `offset`, or false (short file, read error).
  bool read(std::uint64_t offset, void* out, std::size_t size) const {
    auto* p = static_cast<char*>(out);
    while (size > 0) {
      const ssize_t n = ::pread(fd_, p, size, off_t(offset));
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return false;
      p += n;
      size -= std::size_t(n);
      offset += std::uint64_t(n);
    }
    return true;
  }

 private:
  int fd_;
};

}  // namespace

std::string checkSharedObject(const std::string& path) {
  File file(path);
  if (file.fd() < 0) return std::string("cannot open: ") + std::strerror(errno);
  struct stat st {};
  if (::fstat(file.fd(), &st) != 0) return std::string("cannot stat: ") + std::strerror(errno);
  if (!S_ISREG(st.st_mode)) return "not a regular file";
  const auto fileSize = std::uint64_t(st.st_size);
  const std::string ofFile = " (the file has " + std::to_string(fileSize) + " bytes)";

  // ELF header: this process's class, byte order, machine; a shared library.
  Ehdr eh{};
  if (fileSize < sizeof eh) return "not an ELF shared object: " + std::to_string(fileSize) + " bytes, too short for an ELF header";
  if (!file.read(0, &eh, sizeof eh)) return "cannot read the ELF header";
  if (std::memcmp(eh.e_ident, ELFMAG, SELFMAG) != 0) return "not an ELF file";
  if (eh.e_ident[EI_CLASS] != (sizeof(void*) == 8 ? ELFCLASS64 : ELFCLASS32))
    return std::string("built for ") + (eh.e_ident[EI_CLASS] == ELFCLASS32 ? "32" : "64") + "-bit, this process is " +
           (sizeof(void*) == 8 ? "64" : "32") + "-bit";
  const unsigned char hostData = std::endian::native == std::endian::little ? ELFDATA2LSB : ELFDATA2MSB;
  if (eh.e_ident[EI_DATA] != hostData) return "wrong byte order for this machine";
  if (eh.e_ident[EI_VERSION] != EV_CURRENT || eh.e_version != EV_CURRENT) return "unknown ELF version";
  if (eh.e_type == ET_EXEC) return "an executable, not a shared library";
  if (eh.e_type != ET_DYN) return "not a shared library (ELF type " + std::to_string(eh.e_type) + ")";
  if (eh.e_machine != kMachine)
    return "built for another machine (ELF machine " + std::to_string(eh.e_machine) + "), this is " + kMachineName;
  if (eh.e_ehsize < sizeof eh) return "malformed ELF header (header size " + std::to_string(eh.e_ehsize) + ")";

  // Program header table.
  if (eh.e_phnum == 0 || eh.e_phnum == PN_XNUM) return "malformed: " + std::to_string(eh.e_phnum) + " program headers";
  if (eh.e_phentsize != sizeof(Phdr)) return "malformed: program header size " + std::to_string(eh.e_phentsize);
  const std::uint64_t phBytes = std::uint64_t(eh.e_phnum) * sizeof(Phdr);
  if (!inside(eh.e_phoff, phBytes, fileSize))
    return "truncated: the program header table (" + range(eh.e_phoff, phBytes) + ") ends past the end of the file" + ofFile;
  std::vector<Phdr> ph(eh.e_phnum);
  if (!file.read(eh.e_phoff, ph.data(), phBytes)) return "cannot read the program headers";

  // Loadable segments: what the loader maps. Each must be backed by the file over its whole file size.
  const Phdr* dynamic = nullptr;
  std::vector<const Phdr*> loads;
  for (std::size_t i = 0; i < ph.size(); ++i) {
    const Phdr& p = ph[i];
    if (p.p_type == PT_DYNAMIC) {
      if (dynamic) return "malformed: two dynamic segments";
      dynamic = &p;
    }
    if (p.p_type != PT_LOAD) continue;
    const std::string name = "loadable segment " + std::to_string(loads.size() + 1);
    if (!inside(p.p_offset, p.p_filesz, fileSize))
      return "truncated: " + name + " (" + range(p.p_offset, p.p_filesz) + ") ends past the end of the file" + ofFile;
    if (p.p_filesz > p.p_memsz) return "malformed: " + name + " is larger in the file than in memory";
    if (p.p_align > 1 && ((p.p_align & (p.p_align - 1)) != 0 || p.p_offset % p.p_align != p.p_vaddr % p.p_align))
      return "malformed: " + name + " is misaligned";
    if (!loads.empty() && p.p_vaddr < loads.back()->p_vaddr) return "malformed: loadable segments out of order";
    loads.push_back(&p);
  }
  if (loads.empty()) return "malformed: no loadable segment";
  if (!dynamic) return "not a shared library: no dynamic section";

  // Section header table (optional in a loadable file; when the header names one, it must be whole).
  if (eh.e_shoff != 0) {
    if (eh.e_shentsize != sizeof(Shdr)) return "malformed: section header size " + std::to_string(eh.e_shentsize);
    if (!inside(eh.e_shoff, sizeof(Shdr), fileSize))
      return "truncated: the section header table (from byte " + std::to_string(eh.e_shoff) +
             ") starts past the end of the file" + ofFile;
    Shdr first{};
    if (!file.read(eh.e_shoff, &first, sizeof first)) return "cannot read the section headers";
    const std::uint64_t count = eh.e_shnum != 0 ? eh.e_shnum : first.sh_size;  // extended numbering
    if (count == 0 || count > fileSize / sizeof(Shdr) + 1)
      return "malformed: " + std::to_string(count) + " section headers";
    const std::uint64_t shBytes = count * sizeof(Shdr);
    if (!inside(eh.e_shoff, shBytes, fileSize))
      return "truncated: the section header table (" + range(eh.e_shoff, shBytes) + ") ends past the end of the file" + ofFile;
    std::vector<Shdr> sh(count);
    if (!file.read(eh.e_shoff, sh.data(), shBytes)) return "cannot read the section headers";
    const std::uint64_t names = eh.e_shstrndx == SHN_XINDEX ? first.sh_link : eh.e_shstrndx;
    if (names != SHN_UNDEF && names >= count) return "malformed: section name table index " + std::to_string(names);
    for (std::uint64_t i = 1; i < count; ++i)
      if (sh[i].sh_type != SHT_NOBITS && !inside(sh[i].sh_offset, sh[i].sh_size, fileSize))
        return "truncated: section " + std::to_string(i) + " (" + range(sh[i].sh_offset, sh[i].sh_size) +
               ") ends past the end of the file" + ofFile;
  }

  // File offset of [addr, addr + size) in memory, if loaded from the file's contents.
  auto fileOffsetOf = [&](Addr addr, std::uint64_t size, std::uint64_t* offset) {
    for (const Phdr* p : loads)
      if (addr >= p->p_vaddr && addr - p->p_vaddr <= p->p_filesz && size <= p->p_filesz - (addr - p->p_vaddr)) {
        *offset = p->p_offset + (addr - p->p_vaddr);
        return true;
      }
    return false;
  };
  std::uint64_t dynOffset = 0;
  if (!inside(dynamic->p_offset, dynamic->p_filesz, fileSize))
    return "truncated: the dynamic section (" + range(dynamic->p_offset, dynamic->p_filesz) +
           ") ends past the end of the file" + ofFile;
  if (!fileOffsetOf(dynamic->p_vaddr, dynamic->p_filesz, &dynOffset) || dynOffset != dynamic->p_offset)
    return "malformed: the dynamic section is not inside a loadable segment";
  const std::size_t dynCount = std::min<std::uint64_t>(dynamic->p_filesz / sizeof(Dyn), 1 << 16);
  std::vector<Dyn> dyn(dynCount);
  if (!file.read(dynamic->p_offset, dyn.data(), dynCount * sizeof(Dyn))) return "cannot read the dynamic section";
  bool terminated = false, hash = false;
  std::uint64_t strtab = 0, strsz = 0, symtab = 0, flags1 = 0;
  std::vector<std::uint64_t> hashes, needed;
  for (const Dyn& d : dyn) {
    if (d.d_tag == DT_NULL) {
      terminated = true;
      break;
    }
    switch (d.d_tag) {
      case DT_STRTAB: strtab = d.d_un.d_ptr; break;
      case DT_STRSZ: strsz = d.d_un.d_val; break;
      case DT_SYMTAB: symtab = d.d_un.d_ptr; break;
      case DT_HASH:
      case DT_GNU_HASH: hash = true; hashes.push_back(d.d_un.d_ptr); break;
      case DT_NEEDED: needed.push_back(d.d_un.d_val); break;
      case DT_FLAGS_1: flags1 = d.d_un.d_val; break;
      default: break;
    }
  }
  if (!terminated) return "malformed: the dynamic section has no end";
  if (flags1 & DF_1_PIE) return "an executable, not a shared library";
  std::uint64_t at = 0;
  if (!strtab || !strsz || !fileOffsetOf(strtab, strsz, &at))
    return "malformed: the dynamic string table is missing or outside the loaded file";
  if (!symtab || !fileOffsetOf(symtab, sizeof(ElfW(Sym)), &at))
    return "malformed: the dynamic symbol table is missing or outside the loaded file";
  if (!hash) return "malformed: no symbol hash table (no symbol can be looked up)";
  for (std::uint64_t h : hashes)
    if (!fileOffsetOf(h, 4 * sizeof(std::uint32_t), &at)) return "malformed: the symbol hash table is outside the loaded file";
  for (std::uint64_t n : needed)
    if (n >= strsz) return "malformed: a needed library's name is outside the string table";
  return "";
}

}  // namespace kappa
