/**
 * Names and places of the sample district 清远市清新区. Town centres are
 * approximate WGS84 positions of each town seat; the names are made up but
 * follow how local deployments label their points.
 */
export interface TownDef {
  name: string;
  /** [lon, lat] of the town seat. */
  center: [number, number];
  /** Spread of the built-up area, in degrees (≈ 100 km per degree here). */
  spread: number;
  /** Share of the urban devices (gas, smoke, fire panels) placed in this town. */
  weight: number;
  villages: string[];
}

export const DISTRICT = {
  code: '441803',
  name: '清新区',
  city: '清远市',
  center: [113.017747, 23.734677] as [number, number],
};

export const TOWNS: TownDef[] = [
  { name: '太和镇', center: [113.005, 23.725], spread: 0.018, weight: 0.36, villages: ['坑口', '飞水', '白湾', '桂湖', '沙河', '水口', '新城', '东风'] },
  { name: '山塘镇', center: [113.02, 23.87], spread: 0.012, weight: 0.09, villages: ['塘坑', '望埠', '山塘', '黄坑', '太平洞'] },
  { name: '太平镇', center: [112.9, 23.665], spread: 0.012, weight: 0.12, villages: ['龙湾', '马岳', '清江', '天堂山', '石岗'] },
  { name: '三坑镇', center: [113.06, 23.795], spread: 0.01, weight: 0.08, villages: ['三坑', '布心', '滨江', '安庆', '横坑'] },
  { name: '龙颈镇', center: [112.98, 23.95], spread: 0.012, weight: 0.1, villages: ['龙颈', '南冲', '赤坎', '大岭', '高田'] },
  { name: '禾云镇', center: [112.84, 23.78], spread: 0.012, weight: 0.09, villages: ['禾云', '高桥', '鱼坝', '洲心', '田心'] },
  { name: '浸潭镇', center: [112.86, 24.03], spread: 0.012, weight: 0.09, villages: ['浸潭', '大坑', '上围', '下围', '仙塘'] },
  { name: '石潭镇', center: [112.74, 24.16], spread: 0.012, weight: 0.07, villages: ['石潭', '新洲', '黄竹', '罗坑', '沙坪'] },
];

export const RESTAURANT_BRANDS = [
  '鸿运',
  '金泰',
  '聚福',
  '粤香',
  '清香',
  '龙记',
  '顺德',
  '客家',
  '湘味',
  '好运来',
  '北江',
  '笔架山',
  '佳味',
  '农家乐',
  '新光',
  '福满楼',
  '荣记',
  '阿强',
  '老街',
  '稻香',
  '乡里',
  '美味园',
  '金碧',
  '君悦',
  '大榕树',
  '和兴',
  '盛世',
  '喜相逢',
  '清远鸡',
  '竹林',
];
export const RESTAURANT_TYPES = ['酒家', '酒楼', '饭店', '大排档', '餐厅', '农庄', '粥铺', '烧腊店', '食府', '茶楼', '快餐店', '火锅店'];

export const OLD_COMMUNITIES = [
  '工人新村',
  '供销社宿舍',
  '粮所宿舍',
  '教师新村',
  '水利局宿舍',
  '向阳小区',
  '建设路小区',
  '人民路小区',
  '电厂宿舍',
  '糖厂宿舍',
  '农机站宿舍',
  '卫生院宿舍',
  '税务局宿舍',
  '邮电小区',
  '东风花园',
  '幸福里',
];
export const GAS_SPOTS = ['燃气管道井', '楼道燃气立管', '调压箱', '厨房'];

export const VENUES = {
  hotel: ['宾馆', '酒店', '旅馆', '商务酒店'],
  school: ['中心小学', '中学', '幼儿园', '职业技术学校'],
  small: ['商贸城', '综合市场', 'KTV', '网吧', '养老院', '卫生院', '超市', '家具城'],
};
export const VENUE_BRANDS = ['金海湾', '锦江', '新世纪', '华侨', '长隆', '国泰', '百顺', '天悦', '嘉华', '富豪', '银河', '好又多', '永旺', '乐购'];

export const SMALL_PLACES = ['小商店', '小旅馆', '小作坊', '小餐馆', '五金店', '服装店', '电动车维修店', '杂货铺'];
export const SHOP_NAMES = ['阿华', '永发', '兴隆', '老陈', '明记', '德胜', '金源', '顺利', '旺角', '利民', '群星', '万家'];
export const FLOORS = ['一楼', '二楼', '三楼', '四楼', '五楼'];

export const ROADS = ['清新大道', '人民一路', '人民二路', '玄真路', '建设路', '新城路', '滨江路', '工业大道', '太和大道', '环城路', '沿江路', '府前路'];

/**
 * High-risk enterprises that must feed power data (安全生产电力监测).
 * `stopped` ones are under an ordered shutdown (停产整顿).
 */
export interface EnterpriseDef {
  name: string;
  industry: '危化品' | '非煤矿山' | '粉尘涉爆' | '烟花爆竹';
  town: string;
  ratedKw: number;
  state: 'normal' | 'stopped';
  meters: string[];
}

export const ENTERPRISES: EnterpriseDef[] = [
  {
    name: '清远市清新区宏达化工有限公司',
    industry: '危化品',
    town: '太平镇',
    ratedKw: 2400,
    state: 'normal',
    meters: ['反应车间', '罐区泵房', '公用及办公区'],
  },
  { name: '清远市华粤气体有限公司', industry: '危化品', town: '太平镇', ratedKw: 1800, state: 'normal', meters: ['空分装置', '公用及办公区'] },
  { name: '清新区北江油库', industry: '危化品', town: '太和镇', ratedKw: 320, state: 'normal', meters: ['总进线'] },
  { name: '清远市嘉美涂料有限公司', industry: '危化品', town: '禾云镇', ratedKw: 650, state: 'normal', meters: ['调漆车间', '公用及办公区'] },
  { name: '清远市龙腾精细化工有限公司', industry: '危化品', town: '太平镇', ratedKw: 1200, state: 'stopped', meters: ['合成车间', '公用及办公区'] },
  { name: '清新区三坑液化气储配站', industry: '危化品', town: '三坑镇', ratedKw: 180, state: 'normal', meters: ['总进线'] },
  { name: '清新区龙颈大岭石场', industry: '非煤矿山', town: '龙颈镇', ratedKw: 1600, state: 'normal', meters: ['破碎车间', '筛分线', '公用及办公区'] },
  { name: '清新区浸潭石灰石矿', industry: '非煤矿山', town: '浸潭镇', ratedKw: 1250, state: 'normal', meters: ['破碎车间', '公用及办公区'] },
  { name: '清新区石潭建筑用花岗岩矿', industry: '非煤矿山', town: '石潭镇', ratedKw: 900, state: 'stopped', meters: ['破碎车间', '公用及办公区'] },
  { name: '清新区山塘黄坑石场', industry: '非煤矿山', town: '山塘镇', ratedKw: 800, state: 'normal', meters: ['总进线'] },
  { name: '清新区禾云高桥砂石场', industry: '非煤矿山', town: '禾云镇', ratedKw: 560, state: 'normal', meters: ['制砂线', '公用及办公区'] },
  { name: '清远市森雅木业有限公司', industry: '粉尘涉爆', town: '太和镇', ratedKw: 480, state: 'normal', meters: ['砂光车间', '公用及办公区'] },
  { name: '清远市恒丰金属制品有限公司', industry: '粉尘涉爆', town: '三坑镇', ratedKw: 360, state: 'normal', meters: ['抛光车间', '公用及办公区'] },
  { name: '清新区粤丰饲料有限公司', industry: '粉尘涉爆', town: '山塘镇', ratedKw: 750, state: 'normal', meters: ['粉碎车间', '制粒车间', '公用及办公区'] },
  { name: '清远市鑫源铝业有限公司', industry: '粉尘涉爆', town: '太平镇', ratedKw: 1100, state: 'normal', meters: ['抛光车间', '公用及办公区'] },
  { name: '清远市绿源竹木制品厂', industry: '粉尘涉爆', town: '浸潭镇', ratedKw: 260, state: 'normal', meters: ['总进线'] },
  { name: '清新区吉庆烟花爆竹批发有限公司', industry: '烟花爆竹', town: '太和镇', ratedKw: 60, state: 'normal', meters: ['仓库总表'] },
  { name: '清新区龙颈鸿发烟花爆竹仓库', industry: '烟花爆竹', town: '龙颈镇', ratedKw: 45, state: 'stopped', meters: ['仓库总表'] },
  { name: '清新区禾云红星烟花爆竹经营部', industry: '烟花爆竹', town: '禾云镇', ratedKw: 30, state: 'normal', meters: ['仓库总表'] },
  { name: '清远市平安烟花爆竹有限公司', industry: '烟花爆竹', town: '石潭镇', ratedKw: 80, state: 'normal', meters: ['库区照明', '公用及办公区'] },
];

/** Share of the enterprise's capacity carried by each meter, by meter count. */
export const METER_SHARES: Record<number, number[]> = { 1: [1], 2: [0.6, 0.4], 3: [0.5, 0.3, 0.2] };

/*
 * Name parts for city-sized registries (`--devices N`): the sample's lists
 * name a few hundred places; a city of 100,000 devices has tens of thousands
 * of sites, each needing a name of its own.
 */

/** Two-character shop and company names (字号) are drawn as head + tail: 鸿 + 达 = 鸿达. */
export const BRAND_HEADS = [
  '鸿',
  '金',
  '聚',
  '福',
  '粤',
  '龙',
  '顺',
  '华',
  '嘉',
  '宏',
  '恒',
  '鑫',
  '绿',
  '吉',
  '红',
  '平',
  '泰',
  '清',
  '新',
  '荣',
  '盛',
  '富',
  '兴',
  '永',
  '德',
  '广',
  '天',
  '益',
  '万',
  '利',
  '安',
  '佳',
  '明',
  '长',
  '海',
  '中',
  '东',
  '南',
  '北',
  '祥',
];
export const BRAND_TAILS = [
  '达',
  '运',
  '美',
  '腾',
  '雅',
  '丰',
  '源',
  '庆',
  '发',
  '星',
  '安',
  '盛',
  '泰',
  '华',
  '兴',
  '隆',
  '昌',
  '利',
  '信',
  '宝',
  '福',
  '邦',
  '通',
  '力',
  '威',
  '诚',
  '和',
  '顺',
  '新',
  '创',
];

/** Streets of a town seat beyond the named roads: 长安 + 路 = 长安路. */
export const STREET_WORDS = [
  '长安',
  '和平',
  '解放',
  '中山',
  '文化',
  '学院',
  '花园',
  '朝阳',
  '振兴',
  '幸福',
  '广场',
  '东城',
  '西城',
  '南门',
  '北门',
  '古城',
  '青年',
  '龙腾',
  '凤城',
  '江滨',
  '迎宾',
  '金山',
  '银盏',
  '桃源',
  '荔园',
  '松岗',
  '竹园',
  '民主',
  '团结',
  '富强',
  '育才',
  '健康',
  '锦绣',
  '丽景',
  '湖滨',
  '翠园',
];
export const STREET_TYPES = ['路', '街', '大道', '东路', '西路', '北路', '南路', '巷'];

/** Self-built houses (自建房) are numbered within lanes (巷) once a village has more of them than the sample's 260 numbers. */
export const HOUSE_NUMBERS = 260;

/** Share of generated enterprises under an ordered shutdown (停产整顿): rare, as in real district lists. */
export const STOPPED_SHARE = 0.06;

/** How enterprises of one high-risk industry are named, metered and sized in a city-sized registry. */
export interface EnterpriseType {
  industry: EnterpriseDef['industry'];
  /** Share of the generated enterprises (the sample's 20 are 6 : 5 : 5 : 4). */
  weight: number;
  /** Chance of 1, 2, 3 meters: bigger plants meter their workshops apart. */
  meterOdds: [number, number, number];
  /** Rated capacity in kW by meter count [min, max]: more meters, a bigger plant. */
  ratedKw: Record<1 | 2 | 3, [number, number]>;
  /** Name patterns: {brand} a 字号, {town} the town without 镇, {village} one of its villages. */
  names: string[];
  /** The production meter of a plant with two or three (the office and utilities meter is the last). */
  workshops: string[];
  /** The single meter of a one-meter enterprise. */
  single: string;
}

export const ENTERPRISE_TYPES: EnterpriseType[] = [
  {
    industry: '危化品',
    weight: 6,
    meterOdds: [0.3, 0.5, 0.2],
    ratedKw: { 1: [150, 450], 2: [600, 1800], 3: [1500, 3200] },
    names: [
      '清远市{brand}化工有限公司',
      '清远市{brand}精细化工有限公司',
      '清远市{brand}气体有限公司',
      '清远市{brand}涂料有限公司',
      '清远市{brand}新材料有限公司',
      '清新区{town}{brand}液化气储配站',
      '清新区{town}{brand}油库',
    ],
    workshops: ['反应车间', '合成车间', '调漆车间', '空分装置', '灌装车间', '罐区泵房'],
    single: '总进线',
  },
  {
    industry: '非煤矿山',
    weight: 5,
    meterOdds: [0.25, 0.55, 0.2],
    ratedKw: { 1: [400, 900], 2: [550, 1400], 3: [1300, 2200] },
    names: [
      '清新区{town}{village}石场',
      '清新区{village}石灰石矿',
      '清新区{town}{village}砂石场',
      '清新区{town}建筑用花岗岩矿({brand})',
      '清新区{town}{brand}石场',
    ],
    workshops: ['破碎车间', '筛分线', '制砂线'],
    single: '总进线',
  },
  {
    industry: '粉尘涉爆',
    weight: 5,
    meterOdds: [0.2, 0.6, 0.2],
    ratedKw: { 1: [150, 400], 2: [300, 1200], 3: [650, 1500] },
    names: [
      '清远市{brand}木业有限公司',
      '清远市{brand}金属制品有限公司',
      '清新区{brand}饲料有限公司',
      '清远市{brand}铝业有限公司',
      '清远市{brand}竹木制品厂',
      '清远市{brand}家具有限公司',
    ],
    workshops: ['砂光车间', '抛光车间', '粉碎车间', '制粒车间', '喷粉车间'],
    single: '总进线',
  },
  {
    industry: '烟花爆竹',
    weight: 4,
    meterOdds: [0.75, 0.25, 0],
    ratedKw: { 1: [25, 80], 2: [50, 120], 3: [80, 150] },
    names: ['清新区{brand}烟花爆竹批发有限公司', '清新区{town}{brand}烟花爆竹仓库', '清新区{town}{brand}烟花爆竹经营部', '清远市{brand}烟花爆竹有限公司'],
    workshops: ['库区照明'],
    single: '仓库总表',
  },
];
