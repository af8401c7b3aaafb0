/*
 * airports: constant tables of real airports, airlines and ICAO 24-bit
 * address blocks for the simulator.
 *
 * Coordinates are aerodrome reference points (WGS84), elevations are in
 * metres, runway headings are true and approximate (the simulator only
 * uses them to line aircraft up for take-off and landing). Address
 * blocks follow ICAO Annex 10, Volume III, Appendix to Chapter 9.
 */
#include <string.h>

#include "airports.h"

/* Indices into countries[]; keep the two lists in the same order. */
enum {
	C_US, C_UK, C_DE, C_FR, C_NL, C_CH, C_IE, C_JP, C_AU, C_AE,
	C_SG, C_CA, C_TR, C_ES, C_IT, C_AT, C_BE, C_DK, C_SE, C_NO,
	C_FI, C_PT, C_PL, C_QA, C_BR, C_CN, C_KR, C_IN, C_MX, C_ZA,
	C_NZ, C_HU, C_IS, C_SA, C_CL, C_CO, C_AR, C_EG, C_ET, C_TH,
	C_MY, C_ID, C_PH, C_IL, C_MA, C_KE, C_GR, C_CZ, C_PA,
};

const struct country countries[] = {
	[C_US] = { "United States", 0xa00000, 0xafffff },
	[C_UK] = { "United Kingdom", 0x400000, 0x43ffff },
	[C_DE] = { "Germany", 0x3c0000, 0x3fffff },
	[C_FR] = { "France", 0x380000, 0x3bffff },
	[C_NL] = { "Kingdom of the Netherlands", 0x480000, 0x487fff },
	[C_CH] = { "Switzerland", 0x4b0000, 0x4b7fff },
	[C_IE] = { "Ireland", 0x4ca000, 0x4cafff },
	[C_JP] = { "Japan", 0x840000, 0x87ffff },
	[C_AU] = { "Australia", 0x7c0000, 0x7fffff },
	[C_AE] = { "United Arab Emirates", 0x896000, 0x896fff },
	[C_SG] = { "Singapore", 0x768000, 0x76bfff },
	[C_CA] = { "Canada", 0xc00000, 0xc3ffff },
	[C_TR] = { "Turkey", 0x4b8000, 0x4bffff },
	[C_ES] = { "Spain", 0x340000, 0x37ffff },
	[C_IT] = { "Italy", 0x300000, 0x33ffff },
	[C_AT] = { "Austria", 0x440000, 0x447fff },
	[C_BE] = { "Belgium", 0x448000, 0x44ffff },
	[C_DK] = { "Denmark", 0x458000, 0x45ffff },
	[C_SE] = { "Sweden", 0x4a8000, 0x4affff },
	[C_NO] = { "Norway", 0x478000, 0x47ffff },
	[C_FI] = { "Finland", 0x460000, 0x467fff },
	[C_PT] = { "Portugal", 0x490000, 0x497fff },
	[C_PL] = { "Poland", 0x488000, 0x48ffff },
	[C_QA] = { "Qatar", 0x06a000, 0x06afff },
	[C_BR] = { "Brazil", 0xe40000, 0xe7ffff },
	[C_CN] = { "China", 0x780000, 0x7bffff },
	[C_KR] = { "Republic of Korea", 0x718000, 0x71ffff },
	[C_IN] = { "India", 0x800000, 0x83ffff },
	[C_MX] = { "Mexico", 0x0d0000, 0x0d7fff },
	[C_ZA] = { "South Africa", 0x008000, 0x00ffff },
	[C_NZ] = { "New Zealand", 0xc80000, 0xc87fff },
	[C_HU] = { "Hungary", 0x470000, 0x477fff },
	[C_IS] = { "Iceland", 0x4cc000, 0x4ccfff },
	[C_SA] = { "Saudi Arabia", 0x710000, 0x717fff },
	[C_CL] = { "Chile", 0xe80000, 0xe80fff },
	[C_CO] = { "Colombia", 0x0ac000, 0x0acfff },
	[C_AR] = { "Argentina", 0xe00000, 0xe3ffff },
	[C_EG] = { "Egypt", 0x010000, 0x017fff },
	[C_ET] = { "Ethiopia", 0x040000, 0x040fff },
	[C_TH] = { "Thailand", 0x880000, 0x887fff },
	[C_MY] = { "Malaysia", 0x750000, 0x757fff },
	[C_ID] = { "Indonesia", 0x8a0000, 0x8a7fff },
	[C_PH] = { "Philippines", 0x758000, 0x75ffff },
	[C_IL] = { "Israel", 0x738000, 0x73ffff },
	[C_MA] = { "Morocco", 0x020000, 0x027fff },
	[C_KE] = { "Kenya", 0x04c000, 0x04cfff },
	[C_GR] = { "Greece", 0x468000, 0x46ffff },
	[C_CZ] = { "Czech Republic", 0x498000, 0x49ffff },
	[C_PA] = { "Panama", 0x0c2000, 0x0c2fff },
};
const size_t ncountries = sizeof countries / sizeof countries[0];

#define EU REGION_EUROPE
#define NA REGION_NORTH_AMERICA
#define SA REGION_SOUTH_AMERICA
#define ME REGION_MIDDLE_EAST
#define AF REGION_AFRICA
#define AS REGION_ASIA
#define OC REGION_OCEANIA

const struct airport airports[] = {
	/* Europe */
	{ "EGLL", "London Heathrow", 51.4706, -0.4619, 25, 270, EU },
	{ "EGKK", "London Gatwick", 51.1481, -0.1903, 62, 258, EU },
	{ "EGCC", "Manchester", 53.3537, -2.2750, 78, 232, EU },
	{ "EIDW", "Dublin", 53.4213, -6.2701, 74, 278, EU },
	{ "EHAM", "Amsterdam Schiphol", 52.3105, 4.7683, -3, 183, EU },
	{ "EDDF", "Frankfurt", 50.0379, 8.5622, 111, 249, EU },
	{ "EDDM", "Munich", 48.3538, 11.7861, 453, 263, EU },
	{ "EDDB", "Berlin Brandenburg", 52.3667, 13.5033, 48, 248, EU },
	{ "EDDH", "Hamburg", 53.6304, 9.9882, 16, 228, EU },
	{ "LFPG", "Paris Charles de Gaulle", 49.0097, 2.5479, 119, 266, EU },
	{ "LFPO", "Paris Orly", 48.7233, 2.3794, 89, 243, EU },
	{ "LFMN", "Nice", 43.6584, 7.2159, 4, 44, EU },
	{ "LSZH", "Zurich", 47.4647, 8.5492, 432, 275, EU },
	{ "LSGG", "Geneva", 46.2381, 6.1090, 430, 225, EU },
	{ "LOWW", "Vienna", 48.1103, 16.5697, 183, 293, EU },
	{ "EBBR", "Brussels", 50.9014, 4.4844, 56, 245, EU },
	{ "EKCH", "Copenhagen", 55.6180, 12.6508, 5, 220, EU },
	{ "ESSA", "Stockholm Arlanda", 59.6519, 17.9186, 42, 8, EU },
	{ "ENGM", "Oslo Gardermoen", 60.1976, 11.1004, 208, 14, EU },
	{ "EFHK", "Helsinki", 60.3172, 24.9633, 55, 45, EU },
	{ "LEMD", "Madrid Barajas", 40.4983, -3.5676, 610, 180, EU },
	{ "LEBL", "Barcelona", 41.2974, 2.0833, 4, 246, EU },
	{ "LPPT", "Lisbon", 38.7742, -9.1342, 114, 25, EU },
	{ "LIRF", "Rome Fiumicino", 41.8003, 12.2389, 5, 160, EU },
	{ "LIMC", "Milan Malpensa", 45.6306, 8.7281, 234, 348, EU },
	{ "LGAV", "Athens", 37.9364, 23.9445, 94, 36, EU },
	{ "LTFM", "Istanbul", 41.2753, 28.7519, 99, 177, EU },
	{ "EPWA", "Warsaw Chopin", 52.1657, 20.9671, 110, 112, EU },
	{ "LKPR", "Prague", 50.1008, 14.2600, 380, 243, EU },
	{ "LHBP", "Budapest", 47.4298, 19.2611, 151, 313, EU },
	{ "BIKF", "Keflavik", 63.9850, -22.6056, 52, 8, EU },
	/* North America */
	{ "KJFK", "New York JFK", 40.6413, -73.7781, 4, 31, NA },
	{ "KEWR", "Newark", 40.6895, -74.1745, 5, 26, NA },
	{ "KBOS", "Boston", 42.3656, -71.0096, 6, 35, NA },
	{ "KIAD", "Washington Dulles", 38.9531, -77.4565, 95, 0, NA },
	{ "KORD", "Chicago O'Hare", 41.9742, -87.9073, 204, 90, NA },
	{ "KATL", "Atlanta", 33.6407, -84.4277, 313, 90, NA },
	{ "KDFW", "Dallas Fort Worth", 32.8998, -97.0403, 184, 180, NA },
	{ "KDEN", "Denver", 39.8561, -104.6737, 1656, 180, NA },
	{ "KLAX", "Los Angeles", 33.9416, -118.4085, 38, 263, NA },
	{ "KSFO", "San Francisco", 37.6213, -122.3790, 4, 298, NA },
	{ "KSEA", "Seattle Tacoma", 47.4502, -122.3088, 132, 180, NA },
	{ "KLAS", "Las Vegas", 36.0840, -115.1537, 665, 265, NA },
	{ "KPHX", "Phoenix", 33.4343, -112.0116, 345, 270, NA },
	{ "KIAH", "Houston", 29.9902, -95.3368, 30, 90, NA },
	{ "KMIA", "Miami", 25.7959, -80.2870, 3, 90, NA },
	{ "KMCO", "Orlando", 28.4312, -81.3081, 29, 180, NA },
	{ "KMSP", "Minneapolis", 44.8848, -93.2223, 256, 120, NA },
	{ "KDTW", "Detroit", 42.2162, -83.3554, 196, 33, NA },
	{ "KCLT", "Charlotte", 35.2144, -80.9473, 228, 180, NA },
	{ "KSLC", "Salt Lake City", 40.7899, -111.9791, 1288, 168, NA },
	{ "CYYZ", "Toronto Pearson", 43.6777, -79.6248, 173, 50, NA },
	{ "CYVR", "Vancouver", 49.1967, -123.1815, 4, 100, NA },
	{ "CYUL", "Montreal", 45.4706, -73.7408, 36, 45, NA },
	{ "MMMX", "Mexico City", 19.4361, -99.0719, 2230, 52, NA },
	{ "MPTO", "Panama Tocumen", 9.0714, -79.3835, 41, 30, NA },
	/* South America */
	{ "SBGR", "Sao Paulo Guarulhos", -23.4356, -46.4731, 750, 95, SA },
	{ "SCEL", "Santiago", -33.3930, -70.7858, 474, 175, SA },
	{ "SAEZ", "Buenos Aires Ezeiza", -34.8222, -58.5358, 20, 105, SA },
	{ "SKBO", "Bogota", 4.7016, -74.1469, 2548, 130, SA },
	{ "SPJC", "Lima", -12.0219, -77.1143, 34, 150, SA },
	/* Middle East */
	{ "OMDB", "Dubai", 25.2532, 55.3657, 19, 120, ME },
	{ "OMAA", "Abu Dhabi", 24.4330, 54.6511, 27, 130, ME },
	{ "OTHH", "Doha Hamad", 25.2731, 51.6081, 4, 160, ME },
	{ "OERK", "Riyadh", 24.9576, 46.6988, 625, 150, ME },
	{ "LLBG", "Tel Aviv", 32.0114, 34.8867, 41, 120, ME },
	/* Africa */
	{ "HECA", "Cairo", 30.1219, 31.4056, 116, 50, AF },
	{ "FAOR", "Johannesburg", -26.1392, 28.2460, 1694, 30, AF },
	{ "FACT", "Cape Town", -33.9715, 18.6021, 46, 10, AF },
	{ "HAAB", "Addis Ababa", 8.9779, 38.7993, 2334, 70, AF },
	{ "HKJK", "Nairobi", -1.3192, 36.9278, 1624, 60, AF },
	{ "GMMN", "Casablanca", 33.3675, -7.5898, 200, 175, AF },
	{ "DNMM", "Lagos", 6.5774, 3.3212, 41, 180, AF },
	/* Asia */
	{ "RJTT", "Tokyo Haneda", 35.5494, 139.7798, 6, 157, AS },
	{ "RJAA", "Tokyo Narita", 35.7720, 140.3929, 43, 153, AS },
	{ "RJBB", "Osaka Kansai", 34.4320, 135.2304, 8, 54, AS },
	{ "RJCC", "Sapporo New Chitose", 42.7752, 141.6923, 21, 180, AS },
	{ "RJFF", "Fukuoka", 33.5859, 130.4510, 9, 157, AS },
	{ "RKSI", "Seoul Incheon", 37.4602, 126.4407, 7, 150, AS },
	{ "ZBAA", "Beijing Capital", 40.0799, 116.6031, 35, 180, AS },
	{ "ZSPD", "Shanghai Pudong", 31.1443, 121.8083, 4, 170, AS },
	{ "ZGGG", "Guangzhou", 23.3924, 113.2988, 15, 10, AS },
	{ "VHHH", "Hong Kong", 22.3080, 113.9185, 9, 70, AS },
	{ "RCTP", "Taipei Taoyuan", 25.0797, 121.2342, 33, 50, AS },
	{ "WSSS", "Singapore Changi", 1.3644, 103.9915, 7, 20, AS },
	{ "WMKK", "Kuala Lumpur", 2.7456, 101.7072, 21, 145, AS },
	{ "VTBS", "Bangkok Suvarnabhumi", 13.6900, 100.7501, 2, 10, AS },
	{ "WIII", "Jakarta Soekarno-Hatta", -6.1256, 106.6559, 10, 70, AS },
	{ "RPLL", "Manila", 14.5086, 121.0194, 23, 60, AS },
	{ "VIDP", "Delhi", 28.5562, 77.1000, 237, 90, AS },
	{ "VABB", "Mumbai", 19.0896, 72.8656, 11, 90, AS },
	/* Oceania */
	{ "YSSY", "Sydney", -33.9399, 151.1753, 6, 168, OC },
	{ "YMML", "Melbourne", -37.6690, 144.8410, 132, 170, OC },
	{ "YBBN", "Brisbane", -27.3842, 153.1175, 4, 13, OC },
	{ "YPPH", "Perth", -31.9385, 115.9672, 20, 25, OC },
	{ "NZAA", "Auckland", -37.0082, 174.7850, 7, 45, OC },
};
const size_t nairports = sizeof airports / sizeof airports[0];

const struct airline airlines[] = {
	{ "DLH", C_DE, "EDDF", 25 },
	{ "EWG", C_DE, "EDDH", 0 },
	{ "BAW", C_UK, "EGLL", 35 },
	{ "EZY", C_UK, "EGKK", 0 },
	{ "VIR", C_UK, "EGLL", 100 },
	{ "AFR", C_FR, "LFPG", 30 },
	{ "KLM", C_NL, "EHAM", 30 },
	{ "SWR", C_CH, "LSZH", 25 },
	{ "RYR", C_IE, "EIDW", 0 },
	{ "AUA", C_AT, "LOWW", 10 },
	{ "BEL", C_BE, "EBBR", 10 },
	{ "SAS", C_DK, "EKCH", 10 },
	{ "FIN", C_FI, "EFHK", 15 },
	{ "IBE", C_ES, "LEMD", 30 },
	{ "ITY", C_IT, "LIRF", 20 },
	{ "TAP", C_PT, "LPPT", 25 },
	{ "LOT", C_PL, "EPWA", 15 },
	{ "WZZ", C_HU, "LHBP", 0 },
	{ "CSA", C_CZ, "LKPR", 0 },
	{ "AEE", C_GR, "LGAV", 0 },
	{ "ICE", C_IS, "BIKF", 20 },
	{ "THY", C_TR, "LTFM", 35 },
	{ "UAL", C_US, "KORD", 25 },
	{ "DAL", C_US, "KATL", 25 },
	{ "AAL", C_US, "KDFW", 20 },
	{ "SWA", C_US, "KDEN", 0 },
	{ "JBU", C_US, "KJFK", 0 },
	{ "ASA", C_US, "KSEA", 0 },
	{ "ACA", C_CA, "CYYZ", 30 },
	{ "AMX", C_MX, "MMMX", 15 },
	{ "CMP", C_PA, "MPTO", 0 },
	{ "TAM", C_BR, "SBGR", 15 },
	{ "GLO", C_BR, "SBGR", 0 },
	{ "LAN", C_CL, "SCEL", 20 },
	{ "AVA", C_CO, "SKBO", 15 },
	{ "ARG", C_AR, "SAEZ", 10 },
	{ "UAE", C_AE, "OMDB", 100 },
	{ "ETD", C_AE, "OMAA", 80 },
	{ "QTR", C_QA, "OTHH", 70 },
	{ "SVA", C_SA, "OERK", 40 },
	{ "ELY", C_IL, "LLBG", 40 },
	{ "MSR", C_EG, "HECA", 30 },
	{ "ETH", C_ET, "HAAB", 50 },
	{ "KQA", C_KE, "HKJK", 30 },
	{ "SAA", C_ZA, "FAOR", 30 },
	{ "RAM", C_MA, "GMMN", 20 },
	{ "ANA", C_JP, "RJTT", 40 },
	{ "JAL", C_JP, "RJTT", 40 },
	{ "KAL", C_KR, "RKSI", 50 },
	{ "CCA", C_CN, "ZBAA", 30 },
	{ "CES", C_CN, "ZSPD", 25 },
	{ "CSN", C_CN, "ZGGG", 25 },
	{ "SIA", C_SG, "WSSS", 70 },
	{ "MAS", C_MY, "WMKK", 25 },
	{ "THA", C_TH, "VTBS", 50 },
	{ "GIA", C_ID, "WIII", 25 },
	{ "PAL", C_PH, "RPLL", 25 },
	{ "AIC", C_IN, "VIDP", 35 },
	{ "IGO", C_IN, "VABB", 0 },
	{ "QFA", C_AU, "YSSY", 35 },
	{ "VOZ", C_AU, "YBBN", 10 },
	{ "ANZ", C_NZ, "NZAA", 40 },
};
const size_t nairlines = sizeof airlines / sizeof airlines[0];

int
airport_find(const char *icao)
{
	size_t i;

	for (i = 0; i < nairports; i++)
		if (strcmp(airports[i].icao, icao) == 0)
			return (int)i;
	return -1;
}

const struct country *
country_of(uint32_t addr)
{
	size_t i;

	for (i = 0; i < ncountries; i++)
		if (addr >= countries[i].lo && addr <= countries[i].hi)
			return &countries[i];
	return NULL;
}
