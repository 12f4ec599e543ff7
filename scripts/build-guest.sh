#!/usr/bin/env bash
# Builds the tiny test guest for the qemu driver's tests into DIR (default /tmp/iaas-guest), once: an uncompressed
# PVH kernel (vmlinux) from Debian's linux-image package and a busybox-static initramfs (initrd.gz) whose /init loads
# the virtio modules, prints "GUEST-UP" and then "HB <n>" every `hb=` seconds on ttyS0 (also into the first sector of
# /dev/vda when a disk is attached), and can rewrite `dirty=<MiB>` of memory in a loop (a migration workload).
# Needs: qemu-system-x86 qemu-utils busybox-static cpio binutils python3 (apt). Prints DIR on success.
set -euo pipefail
dir=${1:-/tmp/iaas-guest}
mkdir -p "$dir"
cd "$dir"
[[ -s vmlinux && -s initrd.gz ]] && { echo "$dir"; exit 0; }

kver=${KVER:-$(apt-cache depends linux-image-amd64 2>/dev/null | sed -n 's/.*Depends: linux-image-\(.*-amd64\)$/\1/p' | head -1)}
[[ -n "$kver" ]] || { echo "no linux-image-*-amd64 known to apt" >&2; exit 1; }
work=$(mktemp -d "$dir/build.XXXXXX")
trap 'rm -rf "$work"' EXIT
chmod 777 "$work"                                   # apt-get download drops privileges to _apt
(cd "$work" && apt-get download -qq "linux-image-$kver" 2>/dev/null)
dpkg-deb -x "$work"/linux-image-"${kver}"_*.deb "$work/pkg"

# The bzImage's payload is an xz-compressed ELF with a PVH entry note: QEMU's -kernel boots that ELF directly, which
# skips real-mode setup and decompression (about twice as fast to the first heartbeat under TCG).
python3 - "$work/pkg/boot/vmlinuz-$kver" "$work/vmlinux.full" <<'PY'
import lzma, struct, sys
image = open(sys.argv[1], 'rb').read()
setup = (image[0x1f1] + 1) * 512
offset, length = struct.unpack_from('<II', image, 0x248)
open(sys.argv[2], 'wb').write(lzma.LZMADecompressor(format=lzma.FORMAT_XZ).decompress(image[setup + offset:setup + offset + length]))
PY
objcopy --strip-all "$work/vmlinux.full" "$work/vmlinux"

root="$work/rootfs"
mkdir -p "$root"/{bin,proc,sys,dev,tmp,lib/modules}
cp /bin/busybox "$root/bin/busybox"
for applet in sh mount mkdir cat echo sleep dd insmod cut seq; do ln -s busybox "$root/bin/$applet"; done
modules="$work/pkg/lib/modules/$kver/kernel/drivers"
# Load order matters: virtio_ring before virtio (unknown symbols otherwise). The 8250 console is built in.
for m in virtio/virtio_ring virtio/virtio virtio/virtio_pci_modern_dev virtio/virtio_pci_legacy_dev virtio/virtio_pci block/virtio_blk; do
  cp "$modules/$m.ko" "$root/lib/modules/"
done
cat > "$root/init" <<'INIT'
#!/bin/sh
mount -t proc proc /proc; mount -t sysfs sys /sys; mount -t devtmpfs dev /dev
mkdir -p /dev/shm && mount -t tmpfs -o size=90% shm /dev/shm
dirty=0; hb=1
for word in $(cat /proc/cmdline); do case $word in dirty=*) dirty=${word#dirty=};; hb=*) hb=${word#hb=};; esac; done
for m in virtio_ring virtio virtio_pci_modern_dev virtio_pci_legacy_dev virtio_pci virtio_blk; do insmod /lib/modules/$m.ko 2>/dev/null; done
for t in 1 2 3 4 5; do [ -b /dev/vda ] && break; sleep 0.2; done
disk=no; [ -b /dev/vda ] && disk=yes
echo "GUEST-UP uptime=$(cut -d' ' -f1 /proc/uptime) dirty=${dirty}MiB vda=$disk"
if [ "$dirty" -gt 0 ]; then
  dd if=/dev/urandom of=/dev/shm/src bs=1M count="$dirty" 2>/dev/null
  ( while :; do cat /dev/shm/src > /dev/shm/dst; done ) &
fi
n=0
while :; do
  n=$((n+1))
  echo "HB $n up=$(cut -d' ' -f1 /proc/uptime)"
  [ "$disk" = yes ] && echo "HB $n" | dd of=/dev/vda bs=512 count=1 conv=fsync 2>/dev/null
  sleep "$hb"
done
INIT
chmod +x "$root/init"
(cd "$root" && find . | cpio -o -H newc --quiet | gzip -1) > "$work/initrd.gz"
mv "$work/vmlinux" "$work/initrd.gz" "$dir/"
echo "$dir"
