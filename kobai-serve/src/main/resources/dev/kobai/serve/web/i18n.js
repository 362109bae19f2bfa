// Every text of the pages in English and Japanese. An element with data-i18n="key" gets the text;
// with data-i18n-html="key" the text is HTML and $...$ in it is rendered by KaTeX.
'use strict';

const KOBAI_TEXT = {
  'nav.home': { en: 'Kobai', ja: 'Kobai' },
  'title.home': { en: 'Kobai', ja: 'Kobai' },
  'title.lecture': { en: 'Kobai: the lecture', ja: 'Kobai: 講義' },
  'title.race': { en: 'Kobai: race playground', ja: 'Kobai: オプティマイザのレース' },
  'title.lab': { en: 'Kobai: training lab', ja: 'Kobai: 学習ラボ' },
  'err.early': { en: 'the server ended the stream early', ja: 'サーバーからの送信が途中で終わりました' },
  'nav.lecture': { en: 'Lecture', ja: '講義' },
  'nav.race': { en: 'Race playground', ja: 'レース' },
  'nav.lab': { en: 'Training lab', ja: '学習ラボ' },
  'lang.switch': { en: '日本語', ja: 'English' },

  'home.title': { en: 'The optimization lecture, live', ja: '最適化の講義をブラウザで動かす' },
  'home.intro': { en: 'Every figure here is computed by Kobai\'s own optimizers as you change it: the same numbers <code>kobai trace</code> prints. Nothing leaves this machine.',
                  ja: 'ここにある図はすべて、操作に合わせて Kobai 自身のオプティマイザが計算します。<code>kobai trace</code> が出力するのと同じ数値です。データはこのマシンの外に出ません。' },
  'home.lecture': { en: 'The lecture: gradient descent, momentum, Adagrad, Adadelta, RMSprop, Adam, Newton\'s method, natural gradient, and the quiz, each with a live figure.',
                    ja: '講義: 勾配降下法、モーメンタム、Adagrad、Adadelta、RMSprop、Adam、ニュートン法、自然勾配法、そして確認クイズ。各節に動く図があります。' },
  'home.race': { en: 'The race playground: pick a surface or type one, click to set the start, add optimizers with any settings and watch them race.',
                 ja: 'レース: 曲面を選ぶか式を入力し、クリックで出発点を決め、好きな設定のオプティマイザを加えて競わせます。' },

  'home.lab': { en: 'The training lab: train a network on the digits (or Fashion-MNIST) with several optimizers from the same start and the same minibatches, and watch the curves grow.',
                ja: '学習ラボ: 手書き数字(または Fashion-MNIST)でネットワークを複数のオプティマイザで、同じ初期値・同じミニバッチから学習させ、曲線が伸びていく様子を見ます。' },
  'lab.title': { en: 'Training lab', ja: '学習ラボ' },
  'lab.help': { en: 'Every optimizer starts from the weights the seed draws and sees the minibatches in the order the seed draws, as <code>kobai compare</code> does; one optimizer per line, <code>[LABEL=]SPEC</code>.',
                ja: '<code>kobai compare</code> と同じく、どのオプティマイザもシードが決める初期重みから始まり、シードが決める順番でミニバッチを受け取ります。オプティマイザは 1 行に 1 つ、<code>[名前=]SPEC</code> で書きます。' },
  'lab.data': { en: 'Data', ja: 'データ' },
  'lab.model': { en: 'Model', ja: 'モデル' },
  'lab.epochs': { en: 'Epochs', ja: 'エポック数' },
  'lab.batch': { en: 'Batch size', ja: 'バッチサイズ' },
  'lab.seed': { en: 'Seed', ja: 'シード' },
  'lab.opts': { en: 'Optimizers', ja: 'オプティマイザ' },
  'lab.train': { en: 'Train', ja: '学習開始' },
  'lab.stop': { en: 'Stop', ja: '停止' },
  'lab.running': { en: 'training...', ja: '学習中...' },
  'lab.done': { en: 'done', ja: '完了' },
  'lab.stopped': { en: 'stopped', ja: '停止しました' },
  'lab.loss': { en: 'Training loss per step (x: epochs)', ja: 'ステップごとの訓練損失 (横軸: エポック)' },
  'lab.epoch': { en: 'epoch {e}: {acc}%', ja: 'エポック {e}: {acc}%' },
  'lab.digits': { en: 'digits (8×8, built in)', ja: '手書き数字 (8×8、内蔵)' },
  'lab.fashion': { en: 'Fashion-MNIST (clothing, 28×28)', ja: 'Fashion-MNIST (衣類の画像、28×28)' },
  'lab.accuracy': { en: 'Test accuracy per epoch', ja: 'エポックごとのテスト精度' },

  'race.title': { en: 'Race playground', ja: 'オプティマイザのレース' },
  'race.help': { en: 'Click the picture to set the start. Each optimizer is a SPEC as on the command line, e.g. <code>sgd:lr=0.01,momentum=0.9</code>. The address of this page holds the whole setup: copy it to share.',
                 ja: '図をクリックすると出発点が決まります。オプティマイザはコマンドラインと同じ SPEC で書きます(例: <code>sgd:lr=0.01,momentum=0.9</code>)。このページのアドレスに設定がすべて入っているので、コピーすれば共有できます。' },
  'race.surface': { en: 'Surface', ja: '曲面' },
  'race.formula': { en: 'Formula', ja: '式' },
  'race.custom': { en: 'typed formula (expr:)', ja: '式を入力 (expr:)' },
  'race.preset': { en: 'The lecture\'s races', ja: '講義のレース' },
  'race.steps': { en: 'Steps', ja: 'ステップ数' },
  'race.speed': { en: 'Steps per second', ja: '1 秒あたりのステップ' },
  'race.start': { en: 'Start', ja: '出発点' },
  'race.add': { en: 'Add', ja: '追加' },
  'race.play': { en: 'Play', ja: '再生' },
  'race.pause': { en: 'Pause', ja: '一時停止' },
  'race.reset': { en: 'Clear', ja: '全消去' },
  'race.step': { en: 'step', ja: 'ステップ' },
  'race.label': { en: 'Label', ja: '名前' },
  'race.spec': { en: 'Optimizer (SPEC)', ja: 'オプティマイザ (SPEC)' },
  'race.left': { en: 'left the plot at step', ja: '図の外へ出たステップ:' },
  'race.diverged': { en: 'diverged at step', ja: '発散したステップ:' },
  'race.remove': { en: 'remove', ja: '削除' },

  'lec.title': { en: 'Optimization for deep learning: the lecture, live', ja: '深層学習の最適化: 動かしてわかる講義' },
  'lec.intro': { en: 'Each section gives the update rule, a few sentences and a figure that Kobai computes as you move its sliders. Where the lecture\'s slides were wrong, a yellow box says so and what is right.',
                 ja: '各節に更新式と短い説明、そしてスライダーを動かすたびに Kobai が計算し直す図があります。講義スライドに誤りがあった箇所は、黄色の枠で正しい内容を示します。' },
  'fig.lr': { en: 'learning rate', ja: '学習率' },
  'fig.momentum': { en: 'momentum', ja: 'モーメンタム' },
  'fig.surface': { en: 'surface', ja: '曲面' },
  'fig.steps': { en: 'steps', ja: 'ステップ' },
  'run.sgd': { en: 'SGD', ja: 'SGD' },
  'run.momentum': { en: 'Momentum', ja: 'モーメンタム' },
  'run.nesterov': { en: 'Nesterov', ja: 'ネステロフ' },
  'run.adagrad': { en: 'Adagrad', ja: 'Adagrad' },
  'run.adadelta': { en: 'Adadelta', ja: 'Adadelta' },
  'run.rmsprop': { en: 'RMSprop', ja: 'RMSprop' },
  'run.adam': { en: 'Adam', ja: 'Adam' },
  'run.newton': { en: 'Newton', ja: 'ニュートン法' },
  'run.saddlefree': { en: 'Saddle-free Newton', ja: 'サドルフリー・ニュートン法' },
  'fig.click': { en: 'Click the picture to move the start.', ja: '図をクリックすると出発点が動きます。' },

  'gd.h': { en: '1. Gradient descent and the learning rate', ja: '1. 勾配降下法と学習率' },
  'gd.p': { en: 'Gradient descent moves the weights a small step against the gradient, $w \\leftarrow w - \\eta \\nabla L(w)$. The learning rate $\\eta$ decides everything: too small and the path crawls, too large and it oscillates across the valley and diverges. On this long valley $L = \\tfrac12(x^2 + 100y^2)$ the curvature across it is 100, so steps are stable only while $\\eta < 2/100 = 0.02$.',
            ja: '勾配降下法は重みを勾配の逆向きに少しずつ動かします: $w \\leftarrow w - \\eta \\nabla L(w)$。すべては学習率 $\\eta$ で決まります。小さすぎると進みが遅く、大きすぎると谷を横切って振動し、発散します。この細長い谷 $L = \\tfrac12(x^2 + 100y^2)$ では谷を横切る方向の曲率が 100 なので、安定なのは $\\eta < 2/100 = 0.02$ のときだけです。' },

  'sgd.h': { en: '2. Stochastic gradient descent: the gradient as random sampling', ja: '2. 確率的勾配降下法: 勾配をランダムに標本化する' },
  'sgd.p': { en: 'The loss is a mean over the training set, $L(w) = \\frac1N \\sum_n \\ell_n(w)$, so the gradient of a random minibatch $B$, $\\frac1{|B|}\\sum_{n \\in B} \\nabla \\ell_n(w)$, is an unbiased estimate of the full gradient, with a variance that shrinks like $1/|B|$. The figure: logistic regression separating the digits 3 and 8 of Kobai\'s built-in data; each dot is one minibatch gradient, drawn in the plane of the full gradient (the black arrow, along the horizontal axis) and the direction across it in which single examples\' gradients vary most.',
             ja: '損失は訓練データ全体の平均 $L(w) = \\frac1N \\sum_n \\ell_n(w)$ なので、ランダムなミニバッチ $B$ の勾配 $\\frac1{|B|}\\sum_{n \\in B} \\nabla \\ell_n(w)$ は全体の勾配の不偏推定量で、その分散は $1/|B|$ のように小さくなります。図: Kobai 内蔵の手書き数字の 3 と 8 を見分けるロジスティック回帰。各点が 1 つのミニバッチの勾配で、全体の勾配(黒い矢印、横軸方向)と、それに直交して 1 例ごとの勾配が最も大きくばらつく方向の平面に描いています。' },
  'sgd.batch': { en: 'batch size', ja: 'バッチサイズ' },
  'sgd.note': { en: 'B = {B}: {n} minibatches; their mean squared distance from the full gradient is {mse}, and B times it {scaled}: nearly constant while B is small beside the 357 examples (drawing without replacement lowers it for large B).',
                ja: 'B = {B}: ミニバッチ {n} 個。全体の勾配からの二乗距離の平均は {mse}、その B 倍は {scaled} です。B が 357 個の例に比べて小さいうちはほぼ一定です(非復元抽出のため、B が大きいと小さくなります)。' },

  'mom.h': { en: '3. Momentum and Nesterov', ja: '3. モーメンタムとネステロフ' },
  'mom.p': { en: 'Momentum keeps a velocity that accumulates past gradients, $v \\leftarrow \\mu v - \\eta \\nabla L(w),\\ w \\leftarrow w + v$: along a consistent direction it speeds up to $\\eta/(1-\\mu)$ per unit gradient, across an oscillating one the gradients cancel. Nesterov\'s variant takes the gradient where the velocity is about to carry the weights, $\\nabla L(w + \\mu v)$, which damps the overshoot.',
             ja: 'モーメンタムは過去の勾配を蓄積した速度を持ちます: $v \\leftarrow \\mu v - \\eta \\nabla L(w),\\ w \\leftarrow w + v$。向きが一定の方向では勾配 1 あたり $\\eta/(1-\\mu)$ まで加速し、振動する方向では勾配が打ち消し合います。ネステロフの方法は速度で運ばれる先 $\\nabla L(w + \\mu v)$ で勾配を取るため、行き過ぎが抑えられます。' },
  'mom.note': { en: 'PyTorch and Kobai write it as $b \\leftarrow \\mu b + g,\\ w \\leftarrow w - \\eta b$: the same path while $\\eta$ is constant ($v = -\\eta b$).',
                ja: 'PyTorch と Kobai は $b \\leftarrow \\mu b + g,\\ w \\leftarrow w - \\eta b$ と書きます。$\\eta$ が一定なら同じ軌跡です($v = -\\eta b$)。' },

  'ada.h': { en: '4. Adagrad', ja: '4. Adagrad' },
  'ada.p': { en: 'Adagrad gives every coordinate its own step size: it divides by the root of the sum of that coordinate\'s squared gradients, $G_i \\leftarrow G_i + g_i^2,\\ w_i \\leftarrow w_i - \\frac{\\eta}{\\sqrt{G_i} + \\epsilon} g_i$. Steep directions are damped, shallow ones boosted; but the sum only grows, so the steps shrink for ever.',
             ja: 'Adagrad は座標ごとに別々の歩幅を使います。その座標の勾配の二乗和の平方根で割ります: $G_i \\leftarrow G_i + g_i^2,\\ w_i \\leftarrow w_i - \\frac{\\eta}{\\sqrt{G_i} + \\epsilon} g_i$。急な方向は抑えられ、緩い方向は強められます。ただし和は増える一方なので、歩幅は小さくなり続けます。' },
  'ada.note': { en: 'The lecture writes $G$ as a diagonal matrix; only its diagonal is ever used, so it is one number per weight, never a $d \\times d$ matrix.',
                ja: '講義では $G$ を対角行列として書いていますが、使うのは対角成分だけなので、重み 1 つにつき数 1 つで、$d \\times d$ の行列は作りません。' },

  'adadelta.h': { en: '5. Adadelta', ja: '5. Adadelta' },
  'adadelta.p': { en: 'Adadelta (Zeiler 2012) replaces Adagrad\'s growing sum by running averages, of the squared gradients and of the squared updates, and takes their ratio: $E[g^2] \\leftarrow \\rho E[g^2] + (1-\\rho) g^2,\\ \\Delta w = -\\frac{\\sqrt{E[\\Delta w^2] + \\epsilon}}{\\sqrt{E[g^2] + \\epsilon}} g,\\ E[\\Delta w^2] \\leftarrow \\rho E[\\Delta w^2] + (1-\\rho) \\Delta w^2$. The step has the units of the weights, so there is no learning rate in the paper (PyTorch multiplies by lr, 1.0 by default).',
                  ja: 'Adadelta (Zeiler 2012) は Adagrad の増え続ける和を移動平均に替え、勾配の二乗と更新量の二乗の 2 つの移動平均の比を使います: $E[g^2] \\leftarrow \\rho E[g^2] + (1-\\rho) g^2,\\ \\Delta w = -\\frac{\\sqrt{E[\\Delta w^2] + \\epsilon}}{\\sqrt{E[g^2] + \\epsilon}} g,\\ E[\\Delta w^2] \\leftarrow \\rho E[\\Delta w^2] + (1-\\rho) \\Delta w^2$。更新量が重みと同じ単位になるので、論文には学習率がありません(PyTorch は lr を掛けます。既定値 1.0)。' },
  'adadelta.err': { en: '<b>Erratum.</b> The lecture\'s "Adadelta", $E[g^2] \\leftarrow \\gamma E[g^2] + (1-\\gamma) g;\\ \\Delta w = -\\frac{\\alpha}{\\sqrt{E[g^2] + \\epsilon}} g$, is RMSprop: it keeps one average and a learning rate, and has no average of squared updates, which is what makes Adadelta Adadelta. Its average also adds $g$ where $g^2$ is meant.',
                    ja: '<b>訂正.</b> 講義の「Adadelta」$E[g^2] \\leftarrow \\gamma E[g^2] + (1-\\gamma) g;\\ \\Delta w = -\\frac{\\alpha}{\\sqrt{E[g^2] + \\epsilon}} g$ は RMSprop です。移動平均 1 つと学習率だけで、Adadelta の本質である更新量の二乗の移動平均がありません。また平均に $g^2$ ではなく $g$ を足しています。' },

  'adadelta.lecturerule': { en: 'RMSprop (the lecture\'s "Adadelta")', ja: 'RMSprop (講義の「Adadelta」)' },

  'rms.h': { en: '6. RMSprop', ja: '6. RMSprop' },
  'rms.p': { en: 'RMSprop (Tieleman and Hinton 2012) divides by the root of a running average of squared gradients, so the steps no longer shrink for ever: $v \\leftarrow \\alpha v + (1-\\alpha) g^2,\\ w \\leftarrow w - \\frac{\\eta}{\\sqrt{v} + \\epsilon} g$.',
             ja: 'RMSprop (Tieleman と Hinton 2012) は勾配の二乗の移動平均の平方根で割るので、歩幅が小さくなり続けることはありません: $v \\leftarrow \\alpha v + (1-\\alpha) g^2,\\ w \\leftarrow w - \\frac{\\eta}{\\sqrt{v} + \\epsilon} g$。' },
  'rms.note': { en: 'The letters trade places: the lecture\'s $\\gamma = 0.9$ is the decay (PyTorch\'s <code>alpha</code>) and its $\\alpha = 0.001$ the learning rate (PyTorch\'s <code>lr</code>). The lecture\'s settings are <code>rmsprop:alpha=0.9,lr=0.001</code>.',
                ja: '文字の意味が入れ替わっています。講義の $\\gamma = 0.9$ は減衰率(PyTorch の <code>alpha</code>)、$\\alpha = 0.001$ は学習率(PyTorch の <code>lr</code>)です。講義の設定は <code>rmsprop:alpha=0.9,lr=0.001</code> です。' },

  'adam.h': { en: '7. Adam', ja: '7. Adam' },
  'adam.p': { en: 'Adam (Kingma and Ba 2015) combines momentum with RMSprop\'s scaling and corrects both averages for starting at zero: $m \\leftarrow \\beta_1 m + (1-\\beta_1) g,\\ v \\leftarrow \\beta_2 v + (1-\\beta_2) g^2,\\ w \\leftarrow w - \\eta \\frac{m/(1-\\beta_1^t)}{\\sqrt{v/(1-\\beta_2^t)} + \\epsilon}$, with $\\eta = 0.001, \\beta_1 = 0.9, \\beta_2 = 0.999, \\epsilon = 10^{-8}$.',
              ja: 'Adam (Kingma と Ba 2015) はモーメンタムと RMSprop のスケーリングを組み合わせ、0 から始まる 2 つの平均を補正します: $m \\leftarrow \\beta_1 m + (1-\\beta_1) g,\\ v \\leftarrow \\beta_2 v + (1-\\beta_2) g^2,\\ w \\leftarrow w - \\eta \\frac{m/(1-\\beta_1^t)}{\\sqrt{v/(1-\\beta_2^t)} + \\epsilon}$。既定値は $\\eta = 0.001, \\beta_1 = 0.9, \\beta_2 = 0.999, \\epsilon = 10^{-8}$ です。' },
  'adam.err': { en: '<b>Erratum.</b> The lecture gives "$\\beta_1 = 0.9999, \\beta_2 = 10^{-8}$": its constants are shifted by one slot. The paper has $\\beta_1 = 0.9$, $\\beta_2 = 0.999$ and $\\epsilon = 10^{-8}$; $10^{-8}$ is $\\epsilon$, not $\\beta_2$. The button below runs the lecture\'s values: with $\\beta_2 = 10^{-8}$, $v$ is just the last $g^2$, and each step divides the momentum by the current $|g|$.',
              ja: '<b>訂正.</b> 講義は「$\\beta_1 = 0.9999, \\beta_2 = 10^{-8}$」としていますが、定数が 1 つずつずれています。論文では $\\beta_1 = 0.9$、$\\beta_2 = 0.999$、$\\epsilon = 10^{-8}$ で、$10^{-8}$ は $\\beta_2$ ではなく $\\epsilon$ です。下のボタンで講義の値を試せます。$\\beta_2 = 10^{-8}$ では $v$ は直前の $g^2$ そのものになり、毎回モーメンタムを現在の $|g|$ で割ることになります。' },
  'adam.lecture': { en: 'Try the lecture\'s constants', ja: '講義の定数を試す' },
  'adam.paper': { en: 'Back to the paper\'s', ja: '論文の値に戻す' },

  'newton.h': { en: '8. Newton\'s method', ja: '8. ニュートン法' },
  'newton.p': { en: 'Newton\'s method divides by the curvature itself: $w \\leftarrow w - H^{-1} \\nabla L(w)$. On a quadratic it lands on the minimum in one step, whatever the conditioning (left: the long valley). But it goes to any stationary point: on the saddle $x^2 - y^2$ (right) it jumps onto the saddle point. Saddle-free Newton (Dauphin et al. 2014) uses $|H|$, the Hessian with its eigenvalues made positive, and is pushed away from the saddle instead.',
                ja: 'ニュートン法は曲率そのもので割ります: $w \\leftarrow w - H^{-1} \\nabla L(w)$。二次関数なら条件数に関係なく 1 ステップで最小点に到達します(左: 細長い谷)。しかし停留点ならどこへでも向かうので、鞍点 $x^2 - y^2$ (右)では鞍点に飛び乗ってしまいます。サドルフリー・ニュートン法 (Dauphin ら 2014) は固有値を正にしたヘッセ行列 $|H|$ を使い、逆に鞍点から遠ざかります。' },

  'nat.h': { en: '9. Natural gradient', ja: '9. 自然勾配法' },
  'nat.p': { en: 'Natural gradient measures steps by how much they change the model\'s predictions, not the weights: $w \\leftarrow w - \\eta F^{-1} \\nabla L(w)$ with the Fisher information $F = \\mathbb{E}\\left[\\nabla \\log p(y|x,w)\\, \\nabla \\log p(y|x,w)^\\top\\right]$. The figure trains one logistic regression $p(y{=}1|x) = \\sigma(wx + b)$ from one start in two coordinate systems: $(w, b)$ itself (solid) and $(w, b) = M\\phi + c$ (dashed), both drawn in $(w, b)$. Gradient descent takes two different paths; natural gradient takes the same one, because $F$ changes with the coordinates exactly as the gradient does.',
             ja: '自然勾配法は歩幅を重みの変化ではなく、モデルの予測の変化で測ります: $w \\leftarrow w - \\eta F^{-1} \\nabla L(w)$。ここでフィッシャー情報行列は $F = \\mathbb{E}\\left[\\nabla \\log p(y|x,w)\\, \\nabla \\log p(y|x,w)^\\top\\right]$ です。図では 1 つのロジスティック回帰 $p(y{=}1|x) = \\sigma(wx + b)$ を、同じ出発点から 2 つの座標系で学習します: $(w, b)$ そのもの(実線)と $(w, b) = M\\phi + c$ (破線)。どちらも $(w, b)$ 平面に描きます。勾配降下法は 2 本の異なる軌跡をたどりますが、自然勾配法は同じ軌跡をたどります。$F$ が勾配とちょうど同じように座標変換されるからです。' },
  'nat.err': { en: '<b>Erratum.</b> The lecture writes the Fisher information as $I = \\mathbb{E}\\left[\\log \\frac{\\partial^2 w}{\\partial w_i \\partial w_j}\\right]$, which means nothing. Amari\'s is $F_{ij} = \\mathbb{E}\\left[\\frac{\\partial \\log p}{\\partial w_i} \\frac{\\partial \\log p}{\\partial w_j}\\right] = -\\mathbb{E}\\left[\\frac{\\partial^2 \\log p}{\\partial w_i \\partial w_j}\\right]$, the expectation over the model\'s own predictions.',
             ja: '<b>訂正.</b> 講義はフィッシャー情報行列を $I = \\mathbb{E}\\left[\\log \\frac{\\partial^2 w}{\\partial w_i \\partial w_j}\\right]$ と書いていますが、これは意味をなしません。甘利による定義は $F_{ij} = \\mathbb{E}\\left[\\frac{\\partial \\log p}{\\partial w_i} \\frac{\\partial \\log p}{\\partial w_j}\\right] = -\\mathbb{E}\\left[\\frac{\\partial^2 \\log p}{\\partial w_i \\partial w_j}\\right]$ で、期待値はモデル自身の予測分布についてとります。' },
  'nat.gd': { en: 'gradient descent', ja: '勾配降下法' },
  'nat.ng': { en: 'natural gradient', ja: '自然勾配法' },
  'nat.direct': { en: 'in (w, b)', ja: '(w, b) で学習' },
  'nat.reparam': { en: 'in φ, (w, b) = Mφ + c', ja: 'φ で学習, (w, b) = Mφ + c' },

  'sum.h': { en: '10. Summary: what each method uses in place of the Hessian', ja: '10. まとめ: 各手法がヘッセ行列の代わりに使う行列' },
  'sum.p': { en: 'Newton\'s step is $H^{-1} g$. Every method of the lecture can be read as replacing $H$ with something cheaper:',
             ja: 'ニュートン法のステップは $H^{-1} g$ です。講義の各手法は、$H$ をより安価な何かに置き換えたものとして読めます:' },
  'sum.method': { en: 'method', ja: '手法' },
  'sum.matrix': { en: 'in place of the Hessian', ja: 'ヘッセ行列の代わり' },
  'sum.row.sgd': { en: 'SGD', ja: 'SGD (確率的勾配降下法)' },
  'sum.row.mom': { en: 'Momentum, Nesterov', ja: 'モーメンタム、ネステロフ' },
  'sum.row.newton': { en: 'Newton', ja: 'ニュートン法' },
  'sum.row.natural': { en: 'Natural gradient', ja: '自然勾配法' },
  'sum.sgd': { en: 'the identity (times $1/\\eta$)', ja: '単位行列($1/\\eta$ 倍)' },
  'sum.mom': { en: 'still the identity: momentum averages gradients over time, it does not model curvature', ja: '単位行列のまま。モーメンタムは勾配を時間方向に平均するだけで、曲率をモデル化しません' },
  'sum.adaptive': { en: 'a diagonal built from squared gradients, through its square root: the diagonal of the empirical Fisher, not of the Hessian', ja: '勾配の二乗から作る対角行列(の平方根)。ヘッセ行列ではなく経験フィッシャー行列の対角です' },
  'sum.newton': { en: 'the exact Hessian; saddle-free Newton $|H|$', ja: '厳密なヘッセ行列。サドルフリー版は $|H|$' },
  'sum.natural': { en: 'the Fisher information (for these losses equal to the Gauss-Newton matrix)', ja: 'フィッシャー情報行列(これらの損失ではガウス・ニュートン行列に等しい)' },

  'quiz.h': { en: '11. Quiz', ja: '11. 確認クイズ' },
  'quiz.p': { en: 'Click an answer: it is marked, and every choice says why.', ja: '答えをクリックすると正誤が示され、各選択肢の理由が表示されます。' },
  'q1': { en: 'Which method uses the Fisher information matrix?', ja: 'フィッシャー情報行列を使う手法はどれですか?' },
  'q1.a': { en: 'Adam', ja: 'Adam' },
  'q1.a.why': { en: 'Adam divides by a running average of squared gradients: at most the diagonal of the empirical Fisher, and through its square root.', ja: 'Adam は勾配の二乗の移動平均で割ります。せいぜい経験フィッシャー行列の対角で、しかも平方根を通して使います。' },
  'q1.b': { en: 'Newton\'s method', ja: 'ニュートン法' },
  'q1.b.why': { en: 'Newton\'s method uses the Hessian of the loss, which can be indefinite; the Fisher never is.', ja: 'ニュートン法は損失のヘッセ行列を使います。ヘッセ行列は不定値になり得ますが、フィッシャー行列はなりません。' },
  'q1.c': { en: 'Natural gradient', ja: '自然勾配法' },
  'q1.c.why': { en: 'Right: natural gradient preconditions with the inverse Fisher, $F^{-1} g$ (Amari 1998).', ja: '正解: 自然勾配法はフィッシャー行列の逆行列で前処理します、$F^{-1} g$ (甘利 1998)。' },
  'q1.d': { en: 'Momentum', ja: 'モーメンタム' },
  'q1.d.why': { en: 'Momentum uses no matrix at all: it averages gradients over time.', ja: 'モーメンタムは行列を一切使いません。勾配を時間方向に平均するだけです。' },
  'q2': { en: 'On the long valley $\\tfrac12(x^2 + 100y^2)$, plain gradient descent with learning rate 0.03:', ja: '細長い谷 $\\tfrac12(x^2 + 100y^2)$ で学習率 0.03 の勾配降下法は:' },
  'q2.a': { en: 'converges, slowly', ja: 'ゆっくり収束する' },
  'q2.a.why': { en: 'Across the valley the factor per step is $1 - 0.03 \\cdot 100 = -2$: $y$ doubles in size each step.', ja: '谷を横切る方向の 1 ステップあたりの係数は $1 - 0.03 \\cdot 100 = -2$ で、$y$ は毎回 2 倍になります。' },
  'q2.b': { en: 'diverges, oscillating across the valley', ja: '谷を横切って振動しながら発散する' },
  'q2.b.why': { en: 'Right: stability needs $\\eta < 2/100$; at 0.03, $y$ is multiplied by $-2$ each step (try it in section 1).', ja: '正解: 安定には $\\eta < 2/100$ が必要です。0.03 では $y$ は毎回 $-2$ 倍されます(1 節で試せます)。' },
  'q2.c': { en: 'converges in one step', ja: '1 ステップで収束する' },
  'q2.c.why': { en: 'That is Newton\'s method on a quadratic, not gradient descent.', ja: 'それは二次関数に対するニュートン法で、勾配降下法ではありません。' },
  'q3': { en: 'The rule $E[g^2] \\leftarrow \\gamma E[g^2] + (1-\\gamma) g^2,\\ \\Delta w = -\\frac{\\alpha}{\\sqrt{E[g^2]+\\epsilon}} g$ is:', ja: '更新式 $E[g^2] \\leftarrow \\gamma E[g^2] + (1-\\gamma) g^2,\\ \\Delta w = -\\frac{\\alpha}{\\sqrt{E[g^2]+\\epsilon}} g$ は:' },
  'q3.a': { en: 'Adadelta', ja: 'Adadelta' },
  'q3.a.why': { en: 'The lecture calls it so, but Adadelta also averages the squared updates and needs no learning rate.', ja: '講義ではそう呼んでいますが、Adadelta は更新量の二乗も平均し、学習率を必要としません。' },
  'q3.b': { en: 'RMSprop', ja: 'RMSprop' },
  'q3.b.why': { en: 'Right: one running average of squared gradients and a learning rate is RMSprop.', ja: '正解: 勾配の二乗の移動平均 1 つと学習率、これは RMSprop です。' },
  'q3.c': { en: 'Adagrad', ja: 'Adagrad' },
  'q3.c.why': { en: 'Adagrad sums the squared gradients without decay.', ja: 'Adagrad は減衰なしで勾配の二乗を足し続けます。' },
  'q4': { en: 'Started near a saddle point, which method is drawn onto it?', ja: '鞍点の近くから始めたとき、鞍点に引き寄せられるのはどれですか?' },
  'q4.a': { en: 'Newton\'s method', ja: 'ニュートン法' },
  'q4.a.why': { en: 'Right: $H^{-1} g$ points to the nearest stationary point of the local quadratic, saddle or not (section 8).', ja: '正解: $H^{-1} g$ は局所二次近似の停留点を指し、それが鞍点でも向かいます(8 節)。' },
  'q4.b': { en: 'Saddle-free Newton', ja: 'サドルフリー・ニュートン法' },
  'q4.b.why': { en: 'With $|H|$ the negative-curvature direction is followed downhill, away from the saddle.', ja: '$|H|$ を使うと負の曲率の方向を下り坂に進み、鞍点から離れます。' },
  'q4.c': { en: 'Adam', ja: 'Adam' },
  'q4.c.why': { en: 'Adam rescales each coordinate by its gradient size, so it leaves the saddle quickly even where the gradient is tiny.', ja: 'Adam は座標ごとに勾配の大きさで正規化するので、勾配が小さくてもすぐに鞍点を離れます。' },
  'quiz.right': { en: 'Right.', ja: '正解。' },
  'quiz.wrong': { en: 'Not quite.', ja: '不正解。' },
};

// The server's refusals in Japanese, by the code it sends beside its English line
// ({"error", "code", "args"}; the codes are HttpError.Problem's). In English the page shows the
// server's own line. {name} is an argument as the server sent it, {index+1} an index counted from 1;
// a {detail} is a message of Kobai's engine (an optimizer's or a formula's, the words kobai trace
// prints), quoted as it is.
const KOBAI_ERRORS_JA = {
  address_long: 'アドレスが {length} バイトあります。上限は {max} バイトです(長い式は POST の本文で送ります)',
  usage: 'リクエストが不正です: {detail}',
  internal: 'サーバー内部のエラーです: {detail}',
  no_endpoint: 'その API はありません: {name}。あるのは {names} です',
  busy: 'サーバーは {count} 件の計算を実行中です。しばらくしてからもう一度試してください',
  method: 'ここでは {method} は使えません。{allowed} を使ってください',
  parameter_twice: 'パラメータ {name} が 2 回指定されています',
  malformed_query: 'クエリ文字列の形式が不正です: {detail}',
  malformed_length: 'Content-Length の値 {value} が不正です',
  body_long: 'リクエストの本文が {length} バイトあります。上限は {max} バイトです',
  body_over: 'リクエストの本文が上限の {max} バイトを超えています',
  no_page: 'そのページはありません: {path}',
  not_an_object: 'リクエストの本文は JSON オブジェクトでなければなりません',
  malformed_json: 'リクエストの本文の JSON の形式が不正です',
  missing: '{name} が指定されていません',
  not_a_string: '{name} は文字列で指定してください',
  not_a_number: '{name} は数で指定してください(指定値: {value})',
  not_whole: '{name} は整数で指定してください(指定値: {value})',
  out_of_range: '{name} は {min} 以上 {max} 以下で指定してください(指定値: {value})',
  deadline: '1 回のリクエストの上限 {seconds} 秒に達したため、計算を打ち切りました',
  dtype: '数値型は float32 か float64 で指定してください(指定値: {value})',
  no_runners: 'オプティマイザを 1 つ以上指定してください',
  too_many_runners: 'オプティマイザは {max} 個までです(指定: {count} 個)',
  runner_not_object: '{index+1} 番目のオプティマイザが、名前と SPEC を持つオブジェクトになっていません',
  spec_long: '{index+1} 番目のオプティマイザの SPEC が {length} 文字あります。上限は {max} 文字です',
  bad_spec: '{index+1} 番目のオプティマイザの SPEC {spec} は使えません: {detail}',
  path_failed: '{index+1} 番目のオプティマイザの計算が途中で止まりました: {detail}',
  no_surface: '曲面が指定されていません。曲面の名前か、expr: に続けて式を指定してください',
  expression_long: '式が {length} 文字あります。上限は {max} 文字です',
  bad_surface: '曲面を読み取れません: {detail}',
  start_not_point: '出発点は 2 つの有限な数 [x, y] で指定してください',
  start_range: '出発点は絶対値 1e12 以下の有限な数で指定してください(指定値: {value})',
  domain_parts: '範囲は XMIN,XMAX,YMIN,YMAX の 4 つの数で指定してください(指定値: {value})',
  domain_not_numbers: '範囲 XMIN,XMAX,YMIN,YMAX の 4 つの値が数ではありません(指定値: {value})',
  domain_range: '範囲は絶対値 1e12 以下の有限な数で指定してください(指定値: {value})',
  domain_empty: '範囲が空です。XMIN < XMAX かつ YMIN < YMAX でなければなりません(指定値: {value})',
  natural_method: '手法は勾配降下法か自然勾配法で指定してください(指定値: {value})',
  data: 'データは手書き数字か Fashion-MNIST で指定してください(指定値: {value})',
  no_fashion: 'このマシンには Fashion-MNIST がありません({path}。Debian のパッケージ {package})。手書き数字を使ってください',
  model_long: 'モデルの指定が {length} 文字あります。上限は {max} 文字です',
  opt_long: 'オプティマイザの指定が {length} 文字あります。上限は {max} 文字です',
  bad_opt: 'オプティマイザ {spec} は使えません: {detail}',
  opt_count: 'オプティマイザは 1 行に 1 つ、1 個から {max} 個まで指定してください(指定: {count} 個)',
  training_busy: '別の学習が実行中です。学習は一度に 1 つだけなので、終わってからもう一度試してください',
  bad_training: '学習を準備できません: {detail}',
  training_failed: '学習が止まりました: {detail}',
};

// An error the pages show: a refusal of the server ({error, code, args}), or a text of the page's
// own (key). The message is English: the server's line, or the key's English text.
class KobaiError extends Error {
  constructor(body, status) {
    super(body.key ? KOBAI_TEXT[body.key].en : body.error || ('HTTP ' + status));
    this.key = body.key;
    this.code = body.code;
    this.args = body.args || {};
  }
}

const kobaiI18n = {
  lang: 'en',

  init() {
    const params = new URLSearchParams(location.search);
    let lang = params.get('lang');
    if (lang !== 'en' && lang !== 'ja') {
      try { lang = localStorage.getItem('kobai.lang'); } catch (e) { lang = null; }
    }
    const button = document.getElementById('lang');
    if (button) button.addEventListener('click', () => this.set(this.lang === 'en' ? 'ja' : 'en'));
    this.set(lang === 'ja' ? 'ja' : 'en', true);
  },

  // Shows the page in lang, keeps the choice (storage, this address, the links to the other pages)
  // and, unless quiet, tells the page's scripts to redraw what they wrote.
  set(lang, quiet) {
    this.lang = lang;
    try { localStorage.setItem('kobai.lang', lang); } catch (e) { /* private mode: the URL still has it */ }
    const url = new URL(location.href);
    url.searchParams.set('lang', lang);
    history.replaceState(null, '', url);
    this.apply(document);
    for (const a of document.querySelectorAll('a[href]')) {
      const target = new URL(a.getAttribute('href'), location.href);
      if (target.origin !== location.origin) continue;
      target.searchParams.set('lang', lang);
      a.setAttribute('href', target.pathname.replace(/^.*\//, '') + target.search);
    }
    if (!quiet) document.dispatchEvent(new CustomEvent('kobai-lang'));
  },

  t(key) {
    const entry = KOBAI_TEXT[key];
    if (!entry) { console.warn('no text for ' + key); return key; }
    return entry[this.lang] || entry.en;
  },

  // Shows error (a KobaiError, or any Error) in el after prefix (a label, not translated), or
  // clears el when error is null; el is written again in the new language when it changes.
  showError(el, error, prefix) {
    el.kobaiError = error ? { error, prefix: prefix || '' } : null;
    if (error) el.dataset.i18nError = ''; else delete el.dataset.i18nError;
    this.renderError(el);
  },

  // A server's refusal in Japanese fills its code's template, each argument as the server sent
  // it (in code, not translated; an engine's message quoted); anything else is its message.
  renderError(el) {
    const shown = el.kobaiError;
    el.replaceChildren();
    if (!shown) return;
    const e = shown.error;
    if (shown.prefix) {
      const label = document.createElement('span');
      label.translate = false;
      label.textContent = shown.prefix;
      el.append(label);
    }
    const template = this.lang === 'ja' && e.code ? KOBAI_ERRORS_JA[e.code] : undefined;
    if (template === undefined) {
      el.append(e.key ? this.t(e.key) : e.message);
      return;
    }
    let last = 0;
    for (const m of template.matchAll(/\{([a-z]+)(\+1)?\}/g)) {
      el.append(template.slice(last, m.index));
      const value = e.args[m[1]];
      if (m[2]) {
        el.append(String(Number(value) + 1));
      } else {
        const arg = document.createElement(m[1] === 'detail' ? 'q' : 'code');
        arg.translate = false;
        arg.textContent = value;
        el.append(arg);
      }
      last = m.index + m[0].length;
    }
    el.append(template.slice(last));
  },

  apply(root) {
    document.documentElement.lang = this.lang;
    for (const el of root.querySelectorAll('[data-i18n]')) el.textContent = this.t(el.dataset.i18n);
    for (const el of root.querySelectorAll('[data-i18n-html]')) el.innerHTML = kobaiMath(this.t(el.dataset.i18nHtml));
    for (const el of root.querySelectorAll('[data-i18n-error]')) this.renderError(el);
    for (const el of root.querySelectorAll('[data-tex]')) {
      if (window.katex) katex.render(el.dataset.tex, el, { displayMode: el.classList.contains('eq'), throwOnError: false });
      else el.textContent = el.dataset.tex;
    }
  },
};

// Renders each $...$ of a trusted text with KaTeX (left as TeX if KaTeX is missing).
function kobaiMath(text) {
  return text.replace(/\$([^$]+)\$/g, (_, tex) =>
    window.katex ? katex.renderToString(tex, { throwOnError: false }) : tex);
}
