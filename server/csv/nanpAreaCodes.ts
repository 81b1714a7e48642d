// Which IANA zone(s) a US or Canadian area code may be in. A code listed under two zones spans
// both (e.g. 850, the Florida panhandle, is Eastern and Central): its numbers get every zone as
// possible_time_zones and calling hours must be open in all of them. Codes not listed here
// (toll-free 8xx, non-geographic 5xx/600/700/900, the Caribbean and Pacific members of the NANP,
// which libphonenumber gives their own country) have no zone from the area code.
//
// Zones are the representative ones (America/Denver for all of Mountain time with DST, America/Phoenix
// for Arizona without it, …); what matters is the UTC offset through the year, not the city.

const codesByZone: Record<string, string> = {
  'America/New_York':
    // CT DE DC FL GA IN KY ME MD MA MI NH NJ NY NC OH PA RI SC TN VT VA WV
    '203 475 860 959 302 202 771 239 305 321 324 352 386 407 448 561 645 656 689 727 728 754 772 786 813 850 ' +
    '863 904 941 954 229 404 470 478 678 706 762 770 912 943 260 317 463 574 765 812 930 270 364 502 606 859 ' +
    '207 227 240 301 410 443 667 339 351 413 508 617 774 781 857 978 231 248 269 313 517 586 616 734 810 ' +
    '906 947 989 603 201 551 609 640 732 848 856 862 908 973 212 315 329 332 347 363 516 518 585 607 631 ' +
    '646 680 716 718 838 845 914 917 929 934 252 336 472 704 743 828 910 919 980 984 216 220 234 283 326 330 ' +
    '380 419 440 513 567 614 740 937 215 223 267 272 412 445 484 570 582 610 717 724 814 835 878 401 803 ' +
    '821 839 843 854 864 423 865 802 276 434 540 571 686 703 757 804 826 948 304 681',
  'America/Chicago':
    // AL AR FL(panhandle) IL IN(NW, SW, Starke) IA KS KY(west) LA MI(UP) MN MS MO NE ND OK SD TN TX WI
    '205 251 256 334 659 938 327 479 501 870 448 850 217 224 309 312 331 447 464 618 630 708 730 773 779 815 ' +
    '847 872 219 574 812 930 319 515 563 641 712 316 620 785 913 270 364 606 225 318 337 504 985 906 ' +
    '218 320 507 612 651 763 952 228 601 662 769 235 314 417 557 573 636 660 816 975 308 402 531 701 405 ' +
    '539 572 580 918 605 423 615 629 731 901 931 210 214 254 281 325 346 361 409 430 432 469 512 682 713 726 ' +
    '737 806 817 830 832 903 936 940 945 956 972 979 262 274 353 414 534 608 715 920',
  'America/Denver':
    // AZ(Navajo Nation) CO ID(south) KS(west) MT NE(west) NV(West Wendover) NM ND(SW) OR(Malheur) SD(west) TX(El Paso, Hudspeth) UT WY
    '928 303 719 720 748 970 983 208 986 620 785 406 308 775 505 575 701 458 541 605 432 915 385 435 801 307',
  'America/Phoenix': '480 520 602 623 928',
  'America/Los_Angeles':
    // CA ID(north) NV OR WA
    '209 213 279 310 323 341 350 369 408 415 424 442 510 530 559 562 619 626 628 650 657 661 669 707 714 738 ' +
    '747 760 805 818 820 831 840 858 909 916 925 949 951 208 986 702 725 775 458 503 541 971 206 253 360 425 ' +
    '509 564',
  'America/Anchorage': '907',
  'America/Adak': '907',
  'Pacific/Honolulu': '808',
  // Canada
  'America/Vancouver': '236 250 257 604 672 778',
  'America/Edmonton': '236 250 257 672 778 368 403 587 780 825 867',
  'America/Regina': '306 474 639',
  'America/Winnipeg': '204 431 584 807 867',
  'America/Toronto':
    '226 249 289 343 365 382 416 437 519 548 613 647 683 705 742 753 807 905 942 263 354 367 418 438 450 468 514 ' +
    '579 581 819 873 867',
  'America/Halifax': '782 902 367 418 581',
  'America/Moncton': '428 506',
  'America/St_Johns': '709 879',
  'America/Goose_Bay': '709 879',
  'America/Whitehorse': '867',
};

/** Canadian area codes (libphonenumber tells US from CA, but the fast path in phone.ts needs it). */
const canadianCodes = new Set(
  (
    '236 250 257 604 672 778 368 403 587 780 825 867 306 474 639 204 431 584 807 226 249 289 343 365 382 416 ' +
    '437 519 548 613 647 683 705 742 753 905 942 263 354 367 418 438 450 468 514 579 581 819 873 782 902 428 506 709 879'
  ).split(' '),
);

const zonesByCode: ReadonlyMap<string, readonly string[]> = (() => {
  const map = new Map<string, string[]>();
  for (const [zone, codes] of Object.entries(codesByZone)) {
    for (const code of codes.split(' ')) {
      const zones = map.get(code) ?? [];
      if (!zones.includes(zone)) zones.push(zone);
      map.set(code, zones);
    }
  }
  return map;
})();

/** The zone(s) of a geographic US/Canadian area code; empty when the code is not one. */
export function zonesOfAreaCode(areaCode: string): readonly string[] {
  return zonesByCode.get(areaCode) ?? [];
}

/** 'US' or 'CA' for a geographic area code of either, undefined otherwise. */
export function countryOfAreaCode(areaCode: string): 'US' | 'CA' | undefined {
  if (!zonesByCode.has(areaCode)) return undefined;
  return canadianCodes.has(areaCode) ? 'CA' : 'US';
}

/** Every area code in the table (tests compare them with libphonenumber's metadata). */
export function knownAreaCodes(): string[] {
  return [...zonesByCode.keys()].sort();
}
