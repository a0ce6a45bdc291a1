#!/bin/sh
# Regenerates the synthetic holder photos in samples/photos/ with ImageMagick: abstract face-like
# drawings on gradients (no real people). Sizes: 240x320 JPEG of about 4-12 KB, one larger JPEG
# (15-25 KB, holder-20), one JPEG 2000 file (holder-21.jp2), and a PNG that the record loader must
# refuse (not-a-photo.png, used by samples/invalid.jsonl).
set -eu
cd "$(dirname "$0")/photos"

# name  background-top  background-bottom  skin  hair  eye  mouth
faces="
holder-01 #cfe3f7 #6d8fb3 #e0b08a #3b2a1e #2a3f5f #a0504a
holder-02 #f7e7cf #b38f6d #c68e63 #111111 #3a2a1a #8a3a3a
holder-03 #e0f7cf #7fb36d #f1c9a5 #c9a24a #3f6f2a #b0605a
holder-04 #f7cfe9 #b36d9a #8d5a3b #1e1410 #20140f #6a2a2a
holder-05 #cff7f2 #6db3aa #e8c3a0 #7a4a2a #2a5f5a #a04a50
holder-06 #eeeeee #888888 #d9a77f #555555 #333333 #944444
holder-07 #dcd0f7 #7a6db3 #b07850 #2a1a0a #1a1a2a #7a3030
holder-08 #f7f3cf #b3aa6d #f0d0b0 #a05a2a #4a6a8a #c07070
holder-09 #cfd8f7 #6d7ab3 #9c6b47 #0a0a0a #101010 #703030
holder-10 #f7d9cf #b3806d #e3b894 #d8d0c0 #5a5a5a #a05555
holder-11 #d0f0f0 #508080 #c48a60 #302010 #2a2a1a #803838
holder-12 #f0e0d0 #a08060 #f3d2b3 #6a3a1a #3a5a3a #b86060
holder-13 #e8f0d8 #809060 #a8704a #1a1008 #181818 #6e2e2e
holder-14 #d8e0f0 #607090 #e6bc98 #8a8a8a #40506a #a85a5a
holder-15 #f0d8e8 #906080 #7a4a2e #0e0a08 #120e0a #5e2424
holder-16 #e0e0f8 #6868a8 #edc7a4 #b8862e #2e4e6e #b46464
holder-17 #f8f0e0 #a89068 #d09a70 #3e2616 #2a2016 #904040
holder-18 #e0f8e8 #68a880 #f5d6b8 #4a2e1a #4a3a2a #bc6a6a
holder-19 #f8e8e0 #a87868 #b98260 #201810 #1c1610 #7e3434
"

face() {  # name top bottom skin hair eye mouth -> writes a 240x320 MIFF on stdout
    convert -size 240x320 "gradient:$2-$3" \
        -fill "$5" -draw "ellipse 120 150 78 98 180 360" \
        -fill "$4" -draw "ellipse 120 165 66 86 0 360" \
        -fill "$4" -draw "rectangle 95 235 145 300" -draw "ellipse 120 330 110 60 180 360" \
        -fill white -draw "ellipse 95 150 12 7 0 360" -draw "ellipse 145 150 12 7 0 360" \
        -fill "$6" -draw "circle 95 150 99 150" -draw "circle 145 150 149 150" \
        -stroke "$7" -strokewidth 4 -fill none -draw "arc 100 195 140 215 20 160" \
        -stroke "#00000040" -strokewidth 2 -draw "line 120 160 114 185" \
        miff:-
}

echo "$faces" | while read -r name top bottom skin hair eye mouth; do
    [ -n "$name" ] || continue
    face "$name" "$top" "$bottom" "$skin" "$hair" "$eye" "$mouth" |
        convert miff:- -strip -blur 0x1 -quality 88 -sampling-factor 4:2:0 "$name.jpg"
done

# A larger photo (15-25 KB): more detail through a little noise and a higher quality.
face holder-20 "#f0f0d0" "#707050" "#dcae88" "#2e1e12" "#354a5e" "#9a4848" |
    convert miff:- -strip -attenuate 0.35 +noise Gaussian -blur 0x0.6 -quality 90 holder-20.jpg

# JPEG 2000 (JP2 file format).
face holder-21 "#d8e8f8" "#587898" "#c99a74" "#141414" "#1e2e3e" "#884040" |
    convert miff:- -strip -quality 50 holder-21.jp2

# Not a photo format the card accepts.
convert -size 240x320 gradient:#ffffff-#000000 -strip not-a-photo.png

ls -l
