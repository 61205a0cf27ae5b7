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
